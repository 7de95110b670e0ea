// The package as a user gets it from npm: `npm pack`, installed into an empty folder with production
// dependencies only, then used through its bin, its library entry and its client entry.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prebuildEnv, savePrebuilds } from "../../scripts/native-prebuilds.mjs";
import { type AssistantEmulator, startAssistantEmulator } from "../emulators/assistant/index.js";
import { finished } from "../support/process-output.js";
import { bundleForBrowser } from "./browser-bundle.js";

const run = promisify(execFile);
const REPO = resolve(".");

/** Runs a command in the install folder with a clean environment; resolves with its output. */
function exec(cwd: string, file: string, args: string[], env: Record<string, string>, input = "") {
  const child = spawn(file, args, {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: cwd, LOG_LEVEL: "warn", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const run = finished(child);
  child.stdin.end(input);
  return run;
}

describe("the packed mygpt-bridge package, installed with production dependencies only", () => {
  let work: string;
  let app: string;
  let files: string[];
  let assistant: AssistantEmulator;
  let env: Record<string, string>;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "bridge-pack-"));
    app = join(work, "app");
    const packed = await run("npm", ["pack", "--json", "--pack-destination", work], {
      cwd: REPO,
      maxBuffer: 16 * 1024 * 1024,
    });
    const report = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    files = report[0]!.files.map((f) => f.path);
    await run("mkdir", [app]);
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify({ name: "probe", private: true, type: "module" }),
    );
    // The SQLite addons this checkout compiled are offered as local prebuilds: the install unpacks
    // them when the package version and Node ABI match, and compiles as usual when they do not.
    savePrebuilds(REPO, join(work, "prebuilds"));
    await run(
      "npm",
      [
        "install",
        "--omit=dev",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        join(work, report[0]!.filename),
      ],
      {
        cwd: app,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, ...prebuildEnv(join(work, "prebuilds")) },
      },
    );
    assistant = await startAssistantEmulator();
    env = {
      MYGPT_API_URL: assistant.url,
      MYGPT_API_KEY: assistant.apiKey,
      MYGPT_BOT_ID: assistant.botId,
      STORE_URL: "memory://",
    };
  }, 900_000);

  afterAll(async () => {
    await assistant?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it("ships the compiled code, config examples, README and LICENSE, and nothing under test/", () => {
    for (const path of [
      "dist/src/cli/bin.js",
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/src/client.js",
      "dist/src/client.d.ts",
      "config/slack-manifest.yaml",
      "config/bridge.example.yaml",
      "README.md",
      "LICENSE",
    ]) {
      expect(files).toContain(path);
    }
    expect(files.filter((f) => f.startsWith("test/") || f.includes("/test/"))).toEqual([]);
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
  });

  it("installs without the TypeScript tool chain", () => {
    for (const devOnly of ["tsx", "typescript", "vitest", "esbuild"]) {
      expect(existsSync(join(app, "node_modules", devOnly))).toBe(false);
    }
  });

  it("runs --help and --version from the installed bin", async () => {
    const bin = join(app, "node_modules", ".bin", "mygpt-bridge");
    const help = await exec(app, bin, ["--help"], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: mygpt-bridge <command>");
    const version = await exec(app, bin, ["--version"], {});
    expect(version.code).toBe(0);
    const { version: expected } = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8"));
    expect(version.stdout.trim()).toBe(`mygpt-bridge ${expected}`);
  });

  it("chats with the assistant through the installed bin", async () => {
    const bin = join(app, "node_modules", ".bin", "mygpt-bridge");
    const r = await exec(app, bin, ["chat"], env, "hello from the package\n");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/assistant> \[session \S+ turn 1\] hello from the package/);
  });

  it("invite names a Slack manifest that exists inside the installed package", async () => {
    const bin = join(app, "node_modules", ".bin", "mygpt-bridge");
    const r = await exec(app, bin, ["invite"], {});
    const manifest = /manifest (\S+slack-manifest\.yaml)/.exec(r.stdout)?.[1];
    expect(manifest).toBe(join(app, "node_modules", "mygpt-bridge", "config", "slack-manifest.yaml"));
    expect(existsSync(manifest!)).toBe(true);
  });

  it("import('mygpt-bridge') gives createBridge, which runs a bridge on the configured assistant", async () => {
    const script = `
      import { createBridge, ConfigError } from "mygpt-bridge";
      try { await createBridge({ env: {} }); } catch (e) { console.log("refused:", e instanceof ConfigError); }
      const bridge = await createBridge({ env: { ...process.env, PORT: "0", HOST: "127.0.0.1" } });
      await bridge.start();
      const health = await fetch(bridge.url + "/healthz");
      console.log("healthz:", health.status);
      await bridge.stop();
    `;
    const r = await exec(app, process.execPath, ["--input-type=module", "-e", script], env);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("refused: true");
    expect(r.stdout).toContain("healthz: 200");
  });

  it("import('mygpt-bridge/client') chats with the assistant from a plain Node process", async () => {
    const script = `
      import { createAssistantClient } from "mygpt-bridge/client";
      const client = createAssistantClient({ baseUrl: process.env.MYGPT_API_URL, apiKey: process.env.MYGPT_API_KEY });
      const reply = await client.chat({ botId: process.env.MYGPT_BOT_ID, message: "hi from node" });
      console.log(reply.response);
    `;
    const r = await exec(app, process.execPath, ["--input-type=module", "-e", script], env);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/turn 1\] hi from node/);
  });

  it("mygpt-bridge/client bundles for the browser with no Node built-in", async () => {
    const entry = join(app, "node_modules", "mygpt-bridge", "dist", "src", "client.js");
    const bundle = await bundleForBrowser(entry);
    expect(bundle.nodeImports).toEqual([]);
    expect(bundle.errors).toEqual([]);
    expect(bundle.code).toContain("createAssistantClient");
  });
});
