// Where the installed mygpt-bridge package lives (the folder with its package.json), so the CLI can
// name shipped files (the Slack manifest, config examples) and its version wherever it is installed:
// a checkout, node_modules, a global install or the container image.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  // src/cli in a checkout, dist/src/cli when compiled: walk up to the package.json that is ours.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "mygpt-bridge") {
      root = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("mygpt-bridge: cannot find the package's own package.json");
    dir = parent;
  }
}

export function packageVersion(): string {
  return JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")).version as string;
}

/** A file shipped with the package, e.g. "config/slack-manifest.yaml". */
export function shippedFile(relative: string): string {
  return join(packageRoot(), relative);
}
