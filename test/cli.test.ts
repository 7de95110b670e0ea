// The mygpt-bridge executable as an operator runs it: a real child process, real environment.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AssistantEmulator, startAssistantEmulator } from "./emulators/assistant/index.js";
import { TelegramEmulator } from "./emulators/telegram/emulator.js";
import { waitForEvent } from "./support/events.js";
import { finished, type ProcessRun } from "./support/process-output.js";

const BIN = resolve("src/cli/bin.mjs");

function run(args: string[], env: Record<string, string>, cwd: string, input?: string): Promise<ProcessRun> {
  return finished(launch(args, env, cwd, input));
}

function launch(args: string[], env: Record<string, string>, cwd: string, input?: string) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: cwd, LOG_LEVEL: "warn", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  if (input !== undefined) child.stdin.end(input);
  else child.stdin.end();
  return child;
}

describe("the mygpt-bridge command", () => {
  let cwd: string;
  let assistant: AssistantEmulator;
  let base: Record<string, string>;
  let telegram: TelegramEmulator;
  let withTelegram: Record<string, string>;

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), "bridge-cli-"));
    assistant = await startAssistantEmulator();
    telegram = new TelegramEmulator();
    withTelegram = { TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: await telegram.start() };
    base = {
      MYGPT_API_URL: assistant.url,
      MYGPT_API_KEY: assistant.apiKey,
      MYGPT_BOT_ID: assistant.botId,
      STORE_URL: "memory://",
    };
  });
  afterAll(async () => {
    await assistant.close();
    await telegram.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it("lists its commands with --help", async () => {
    const r = await run(["--help"], {}, cwd);
    expect(r.code).toBe(0);
    for (const command of ["start", "chat", "doctor", "invite"]) expect(r.stdout).toContain(command);
  });

  it("refuses to start with no platform token, naming each variable and where to get it", async () => {
    const r = await run(["start"], base, cwd);
    expect(r.code).not.toBe(0);
    for (const v of ["TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN", "DISCORD_BOT_TOKEN"])
      expect(r.stderr).toContain(v);
    expect(r.stderr).toContain("@BotFather");
  });

  it("with nothing configured, names every missing variable at once: the assistant's and the platforms'", async () => {
    const r = await run(["start"], {}, cwd);
    expect(r.code).toBe(1);
    for (const v of [
      "MYGPT_API_KEY",
      "MYGPT_BOT_ID",
      "TELEGRAM_BOT_TOKEN",
      "SLACK_BOT_TOKEN",
      "DISCORD_BOT_TOKEN",
    ]) {
      expect(r.stderr).toContain(v);
    }
    expect(r.stderr).toContain("Settings → API");
    expect(r.stderr).toContain("@BotFather");
  });

  it("names the variable and the fix when the configuration is wrong, without echoing secrets", async () => {
    const r = await run(
      ["start"],
      { ...base, MYGPT_CHAT_RATE: "fast", TELEGRAM_BOT_TOKEN: "123:secret-token-value" },
      cwd,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("MYGPT_CHAT_RATE");
    expect(r.stderr).toContain("100/60s");
    expect(r.stderr + r.stdout).not.toContain("secret-token-value");
  });

  it("chats in the terminal through the relay: an answer, then /reset", async () => {
    const r = await run(["chat"], base, cwd, "hello from the terminal\n/reset\nand again\n");
    expect(r.code).toBe(0);
    const first = /assistant> \[session (\S+) turn 1\] hello from the terminal/.exec(r.stdout);
    const second = /assistant> \[session (\S+) turn 1\] and again/.exec(r.stdout);
    expect(first).not.toBeNull();
    expect(r.stdout).toContain("Started a new conversation");
    expect(second).not.toBeNull();
    expect(second![1]).not.toBe(first![1]);
  });

  it("start gives up draining at SHUTDOWN_TIMEOUT_MS while the assistant hangs, and the next start answers what was pending", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bridge-cli-deadline-"));
    const env = {
      ...base,
      ...withTelegram,
      PORT: "0",
      STORE_URL: `sqlite://${join(dir, "bridge.sqlite")}`,
      SHUTDOWN_TIMEOUT_MS: "500",
    };
    const user = telegram.createUser();
    const chat = telegram.privateChat(user);
    try {
      assistant.injectFaults({ kind: "hang" });
      const first = launch(["start"], env, cwd);
      const firstRun = finished(first);
      const calling = waitForEvent<{ path: string }>(
        assistant,
        "received",
        (r) => r.path.includes("/bot/"),
        30_000,
      );
      telegram.userSays(chat, user, "answer me after the restart");
      await calling;
      first.kill("SIGTERM");
      const stopped = await firstRun;
      expect(stopped.code).toBe(0);
      expect(stopped.stdout + stopped.stderr).toContain("shutdown deadline reached");

      const second = launch(["start"], env, cwd);
      const secondRun = finished(second);
      const reply = await waitForEvent<{ chatId: number; text: string }>(
        telegram,
        "botMessage",
        (m) => m.chatId === chat.id && m.text.includes("answer me after the restart"),
        30_000,
      );
      expect(reply.text).toMatch(/turn 1\] answer me after the restart/);
      second.kill("SIGTERM");
      expect((await secondRun).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it("prints its version with --version", async () => {
    const r = await run(["--version"], {}, cwd);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^mygpt-bridge \d+\.\d+\.\d+/);
  });

  it("doctor passes with a good key, bot and platform token, one line per check", async () => {
    const r = await run(["doctor"], { ...base, ...withTelegram, PORT: "0" }, cwd);
    expect(r.stdout).toMatch(/✓ assistant/);
    expect(r.stdout).toMatch(/✓ store/);
    expect(r.stdout).toMatch(/✓ Telegram bot token/);
    expect(r.code).toBe(0);
  });

  it("doctor fails when no platform is configured, as start would refuse to run", async () => {
    const r = await run(["doctor"], { ...base, PORT: "0" }, cwd);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ platforms: no chat platform is configured/);
    expect(r.stdout).toContain("@BotFather");
  });

  it("doctor names the config file it loaded", async () => {
    const withFile = mkdtempSync(join(tmpdir(), "bridge-cli-file-"));
    mkdirSync(join(withFile, "config"));
    writeFileSync(join(withFile, "config", "bridge.yaml"), "relay:\n  concurrency: 2\n");
    try {
      const r = await run(["doctor"], { ...base, ...withTelegram, PORT: "0" }, withFile);
      expect(r.stdout).toContain(`✓ config: loaded ${join(withFile, "config", "bridge.yaml")}`);
    } finally {
      rmSync(withFile, { recursive: true, force: true });
    }
  });

  it("invite needs no assistant key and names a Slack manifest that exists", async () => {
    const r = await run(["invite"], {}, cwd);
    expect(r.code).toBe(0);
    const manifest = /manifest (\S+slack-manifest\.yaml)/.exec(r.stdout)?.[1];
    expect(manifest).toBeDefined();
    expect(existsSync(manifest!)).toBe(true);
  });

  it("doctor fails on a wrong key and says where to get a right one, never printing the key", async () => {
    const r = await run(["doctor"], { ...base, PORT: "0", MYGPT_API_KEY: "wrong-key-123456" }, cwd);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ assistant: INVALID_API_KEY/);
    expect(r.stdout).toContain("Settings → API");
    expect(r.stdout + r.stderr).not.toContain("wrong-key-123456");
  });
});
