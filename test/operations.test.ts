// Running the bridge as an operator does: the real `start` command against platform emulators,
// its HTTP endpoints, graceful shutdown on SIGTERM, doctor and invite with platform tokens, and logs
// that never carry a secret.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { type AssistantEmulator, startAssistantEmulator } from "./emulators/assistant/index.js";
import { DiscordEmulator } from "./emulators/discord/emulator.js";
import { TelegramEmulator } from "./emulators/telegram/emulator.js";
import { startTestBridge } from "./support/bridge-harness.js";
import { freePort } from "./support/redis.js";
import { TestAdapter } from "./support/test-adapter.js";

const BIN = resolve("src/cli/bin.mjs");

function spawnBridge(args: string[], env: Record<string, string>, cwd: string) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: cwd, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  return { child, exited, output: () => output };
}

/** Resolves once the child printed `needle` (its own log line says it is ready), or rejects on exit. */
function printed(proc: ReturnType<typeof spawnBridge>, needle: string, timeoutMs = 20_000): Promise<void> {
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no "${needle}" in:\n${proc.output()}`)), timeoutMs);
    const check = () => {
      if (!proc.output().includes(needle)) return;
      clearTimeout(timer);
      done();
    };
    proc.child.stdout!.on("data", check);
    proc.child.stderr!.on("data", check);
    proc.exited.then(() => fail(new Error(`exited before "${needle}":\n${proc.output()}`)));
    check();
  });
}

describe("running the bridge", () => {
  let cwd: string;
  let assistant: AssistantEmulator;
  let telegram: TelegramEmulator;
  let apiRoot: string;
  let base: Record<string, string>;
  let running: ChildProcess | undefined;

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), "bridge-ops-"));
    assistant = await startAssistantEmulator();
    telegram = new TelegramEmulator();
    apiRoot = await telegram.start();
    base = {
      MYGPT_API_URL: assistant.url,
      MYGPT_API_KEY: assistant.apiKey,
      MYGPT_BOT_ID: assistant.botId,
      STORE_URL: `sqlite://${join(cwd, "bridge.sqlite")}`,
      HOST: "127.0.0.1",
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: apiRoot,
    };
  });
  afterAll(async () => {
    running?.kill("SIGKILL");
    await telegram.close();
    await assistant.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it("serves health, readiness and metrics, answers on Telegram, and exits 0 on SIGTERM", async () => {
    const port = await freePort();
    const proc = spawnBridge(["start"], { ...base, PORT: String(port), LOG_LEVEL: "info" }, cwd);
    running = proc.child;
    await printed(proc, "bridge is running");
    const url = `http://127.0.0.1:${port}`;

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // Ready once Telegram is connected, which "bridge is running" does not wait for.
    await printed(proc, "platform connected");
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      ready: true,
      checks: { telegram: { ok: true }, store: { ok: true } },
    });

    const user = telegram.createUser({ first_name: "Ada" });
    telegram.userSays(telegram.privateChat(user), user, "hello through the real start command");
    await new Promise<void>((done) =>
      telegram.on("botMessage", (m: { text: string }) => {
        if (m.text.includes("hello through the real start command")) done();
      }),
    );

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/bridge_messages_in_total\{platform="telegram"\} 1/);
    expect(metrics).toMatch(/bridge_assistant_calls_total\{outcome="ok"\} 1/);
    expect(metrics).toContain("bridge_budget_remaining");
    expect(metrics).toContain("bridge_wait_seconds_bucket");

    proc.child.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toContain("stopped");
    expect(proc.output()).not.toContain(telegram.token);
    expect(proc.output()).not.toContain(assistant.apiKey);
    running = undefined;
  });

  it("keeps trying while a platform is unreachable, says so on /readyz, and still stops cleanly", async () => {
    const port = await freePort();
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    const proc = spawnBridge(
      ["start"],
      { ...base, PORT: String(port), TELEGRAM_API_ROOT: unreachable, LOG_LEVEL: "info" },
      cwd,
    );
    running = proc.child;
    await printed(proc, "bridge is running");
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, checks: { telegram: { ok: false } } });
    proc.child.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    running = undefined;
  });

  it("doctor checks the Telegram token and names the fix when it is wrong", async () => {
    const good = spawnBridge(["doctor"], { ...base, PORT: "0" }, cwd);
    expect(await good.exited).toBe(0);
    expect(good.output()).toMatch(/✓ .*telegram/i);
    const bad = spawnBridge(["doctor"], { ...base, PORT: "0", TELEGRAM_BOT_TOKEN: "123:not-the-token" }, cwd);
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toContain("@BotFather");
    expect(bad.output()).not.toContain("123:not-the-token");
  });

  it("invite prints the Discord invite URL for the bot's application and the Slack manifest path", async () => {
    const discord = await DiscordEmulator.start();
    try {
      const proc = spawnBridge(
        ["invite"],
        { ...base, DISCORD_BOT_TOKEN: discord.token, DISCORD_API_URL: discord.apiUrl.replace(/\/v10$/, "") },
        cwd,
      );
      expect(await proc.exited).toBe(0);
      expect(proc.output()).toMatch(/discord\.com\/(api\/)?oauth2\/authorize\?client_id=\d+/);
      expect(proc.output()).toContain("slack-manifest.yaml");
    } finally {
      await discord.close();
    }
  });
});

describe("readiness", () => {
  it("answers 503 with the reason while a platform is disconnected, 200 once it is back", async () => {
    const adapter = new TestAdapter();
    const t = await startTestBridge({ adapters: [adapter], http: true });
    try {
      expect((await fetch(`${t.bridge.url}/readyz`)).status).toBe(200);
      await adapter.stop();
      const down = await fetch(`${t.bridge.url}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({
        ready: false,
        checks: { test: { ok: false, detail: "not connected" } },
      });
      await adapter.start(t.bridge.relay);
      expect((await fetch(`${t.bridge.url}/readyz`)).status).toBe(200);
      expect((await fetch(`${t.bridge.url}/healthz`)).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe("logs", () => {
  it("never carry a configured secret, even inside a message or an error", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const secret = "sk-live-0123456789abcdef";
    const logger = createLogger({ level: "info", secrets: [secret], destination, pretty: false });
    logger.info({ apiKey: secret, nested: { token: secret } }, `calling with ${secret}`);
    logger.error({ err: new Error(`request to https://x/bot${secret}/getMe failed`) }, "oops");
    logger.info({ url: `https://api.telegram.org/bot${secret}/getMe` }, "plain field");
    const all = lines.join("");
    expect(lines).toHaveLength(3);
    expect(all).not.toContain(secret);
    expect(all).toContain("[REDACTED]");
  });
});
