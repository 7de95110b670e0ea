// Bundles an entry for the browser with esbuild (the one tsx already brings) and reports every Node
// built-in the entry's import graph reaches, instead of letting esbuild shim or externalise them.
import { builtinModules } from "node:module";
import { build } from "esbuild";

const BUILTINS = new Set(builtinModules);

export interface BrowserBundle {
  code: string;
  /** Each `node:` or bare built-in import, as "specifier (from importer)". */
  nodeImports: string[];
  errors: string[];
}

/** `iife` exposes the exports as the global `MyGPTClient`, for a plain <script> in a page. */
export async function bundleForBrowser(
  entry: string,
  format: "esm" | "iife" = "esm",
): Promise<BrowserBundle> {
  const nodeImports: string[] = [];
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format,
    globalName: format === "iife" ? "MyGPTClient" : undefined,
    platform: "browser",
    target: "es2022",
    logLevel: "silent",
    plugins: [
      {
        name: "no-node-builtins",
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => {
            const bare = args.path.replace(/^node:/, "").split("/")[0]!;
            if (args.path.startsWith("node:") || BUILTINS.has(bare)) {
              nodeImports.push(`${args.path} (from ${args.importer})`);
              return { path: args.path, external: true };
            }
            return undefined;
          });
        },
      },
    ],
  }).catch((error: { errors?: Array<{ text: string }> }) => ({
    outputFiles: [],
    errors: error.errors ?? [{ text: String(error) }],
  }));
  return {
    code: result.outputFiles?.[0]?.text ?? "",
    nodeImports,
    errors: result.errors.map((e) => e.text),
  };
}
