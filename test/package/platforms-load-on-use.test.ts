// A deployment that runs one platform never loads the others' SDKs: the composition root lists every
// platform module, but a module loads its SDK only when its adapter is built. This imports the root
// in a fresh Node process that reports every SDK it is asked to resolve.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "load-on-use-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sdksLoadedBy(code: string): string[] {
  const hooks = join(dir, "hooks.mjs");
  writeFileSync(
    hooks,
    `export async function resolve(specifier, context, next) {
  if (/^(grammy|@grammyjs\\/|discord\\.js|@discordjs\\/|@slack\\/)/.test(specifier)) console.log("SDK " + specifier);
  return next(specifier, context);
}\n`,
  );
  const register = join(dir, "register.mjs");
  writeFileSync(
    register,
    `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  const run = spawnSync(
    process.execPath,
    ["--import", register, "--import", "tsx", "--input-type=module", "-e", code],
    {
      cwd: root,
      encoding: "utf8",
    },
  );
  if (run.status !== 0) throw new Error(run.stderr);
  return run.stdout
    .split("\n")
    .filter((line) => line.startsWith("SDK "))
    .map((line) => line.slice(4));
}

it("importing the composition root loads no platform SDK; building an adapter loads only its own", () => {
  expect(sdksLoadedBy('await import("./src/app/index.ts");')).toEqual([]);
  const telegram = sdksLoadedBy('await import("./adapters/telegram/adapter.ts");');
  expect(telegram).toContain("grammy");
  expect(telegram.filter((s) => !/^(grammy|@grammyjs\/)/.test(s))).toEqual([]);
});
