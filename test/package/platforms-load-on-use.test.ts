// A deployment that runs one platform never loads the others' SDKs: the composition root lists every
// platform module, but a module loads its SDK only when its adapter is built. This imports the root
// in a fresh Node process that reports every SDK it is asked to resolve. Likewise Express: a bridge
// with no HTTP route besides the operator endpoints (Telegram long polling) never loads it.
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

/** Starts a real bridge on a test adapter in a fresh process; says whether /healthz answered and Express was loaded. */
function bridgeInFreshProcess(env: Record<string, string>): { healthz: number; express: boolean } {
  const code = `
import { createRequire } from "node:module";
const { Bridge } = await import("./src/bridge.ts");
const { loadConfig } = await import("./src/app/index.ts");
const { TestAdapter } = await import("./test/support/test-adapter.ts");
const config = loadConfig({ env: ${JSON.stringify({
    MYGPT_API_KEY: "key-1234567890",
    MYGPT_BOT_ID: "bot-1",
    STORE_URL: "memory://",
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "silent",
    ...env,
  })}, dotenv: false });
const bridge = await Bridge.create({ config, adapters: [new TestAdapter()] });
await bridge.start();
const healthz = (await fetch(bridge.url + "/healthz")).status;
const express = Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes("/node_modules/express/"));
await bridge.stop();
console.log("RESULT " + JSON.stringify({ healthz, express }));`;
  const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    cwd: root,
    encoding: "utf8",
  });
  const line = run.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (run.status !== 0 || !line) throw new Error(run.stderr || run.stdout);
  return JSON.parse(line.slice(7));
}

it("a bridge with only the operator endpoints serves them without loading Express; one with a route loads it", () => {
  expect(bridgeInFreshProcess({})).toEqual({ healthz: 200, express: false });
  expect(bridgeInFreshProcess({ MYGPT_WEBHOOK_SECRET: "whsec-0123456789" })).toEqual({
    healthz: 200,
    express: true,
  });
});
