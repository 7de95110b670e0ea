import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/app/index.js";
import { ConfigError } from "../../src/errors.js";

const base = { MYGPT_API_KEY: "key-1234567890", MYGPT_BOT_ID: "bot-1", STORE_URL: "memory://" };

function problemsOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("configuration", () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), "bridge-config-"));
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  it("fills every default from one place", () => {
    const config = loadConfig({ env: base, cwd });
    expect(config.assistant.apiUrl).toBe("https://api.mygptassistants.com/api/v1");
    expect(config.assistant.chatRate).toEqual({ limit: 100, windowMs: 60_000 });
    expect(config.assistant.dataRate).toEqual({ limit: 1000, windowMs: 3_600_000 });
    expect(config.http).toEqual({ port: 3000, host: "0.0.0.0" });
    expect(config.relay.mergeQueuedMessages).toBe(true);
  });

  it("names a missing API key and where to get one", () => {
    const error = problemsOf(() => loadConfig({ env: { MYGPT_BOT_ID: "bot-1" }, cwd }));
    expect(error.message).toContain("MYGPT_API_KEY");
    expect(error.message).toContain("Settings → API");
  });

  it("names a malformed chat rate and shows the expected form", () => {
    const error = problemsOf(() => loadConfig({ env: { ...base, MYGPT_CHAT_RATE: "lots" }, cwd }));
    expect(error.problems.map((p) => p.variable)).toContain("MYGPT_CHAT_RATE");
    expect(error.message).toContain("100/60s");
  });

  it("reports every problem at once, not the first only", () => {
    const env = { MYGPT_API_KEY: "key-1234567890", MYGPT_CHAT_RATE: "x", MYGPT_DATA_RATE: "y" };
    const error = problemsOf(() => loadConfig({ env, cwd }));
    const variables = error.problems.map((p) => p.variable);
    expect(variables).toEqual(expect.arrayContaining(["MYGPT_CHAT_RATE", "MYGPT_DATA_RATE", "MYGPT_BOT_ID"]));
  });

  it("names a port out of range", () => {
    const error = problemsOf(() => loadConfig({ env: { ...base, PORT: "99999" }, cwd }));
    expect(error.problems.map((p) => p.variable)).toContain("PORT");
  });

  it("takes the replica lease time from PROCESS_LEASE_MS and names a bad one", () => {
    expect(loadConfig({ env: base, cwd }).processLeaseMs).toBe(30_000);
    expect(loadConfig({ env: { ...base, PROCESS_LEASE_MS: "5000" }, cwd }).processLeaseMs).toBe(5000);
    for (const bad of ["5s", "-1", "10"]) {
      const error = problemsOf(() => loadConfig({ env: { ...base, PROCESS_LEASE_MS: bad }, cwd }));
      expect(error.problems.map((p) => p.variable)).toContain("PROCESS_LEASE_MS");
    }
  });

  it("refuses Telegram webhook mode without a secret, naming TELEGRAM_WEBHOOK_SECRET", () => {
    const env = {
      ...base,
      TELEGRAM_BOT_TOKEN: "123:abc",
      TELEGRAM_WEBHOOK_URL: "https://bot.example.com/telegram/webhook",
    };
    const error = problemsOf(() => loadConfig({ env, cwd }));
    expect(error.problems.map((p) => p.variable)).toContain("TELEGRAM_WEBHOOK_SECRET");
  });

  it("refuses Slack HTTP mode without a signing secret", () => {
    const error = problemsOf(() => loadConfig({ env: { ...base, SLACK_BOT_TOKEN: "xoxb-1" }, cwd }));
    expect(error.problems.map((p) => p.variable)).toContain("SLACK_SIGNING_SECRET");
  });

  it("never echoes a secret in a configuration error", () => {
    const env = {
      ...base,
      MYGPT_API_KEY: "sk-very-secret-value",
      SLACK_BOT_TOKEN: "xoxb-secret-token",
      PORT: "x",
    };
    const error = problemsOf(() => loadConfig({ env, cwd }));
    expect(error.message).not.toContain("sk-very-secret-value");
    expect(error.message).not.toContain("xoxb-secret-token");
  });

  it("reads a .env file, with the real environment winning", () => {
    writeFileSync(join(cwd, ".env"), "MYGPT_API_KEY=from-dotenv-file\nMYGPT_BOT_ID=bot-from-file\n");
    const config = loadConfig({ env: { MYGPT_BOT_ID: "bot-from-env", STORE_URL: "memory://" }, cwd });
    expect(config.assistant.apiKey).toBe("from-dotenv-file");
    expect(config.assistant.botId).toBe("bot-from-env");
  });

  it("takes routes and policies from the YAML file, with route keys from named variables", () => {
    writeFileSync(
      join(cwd, "bridge.yaml"),
      [
        "routes:",
        "  - platform: slack",
        "    workspace: T123",
        "    botId: sales-bot",
        "    apiKeyEnv: SALES_API_KEY",
        "policy:",
        "  deny:",
        "    users: ['U666']",
        "relay:",
        "  mergeQueuedMessages: false",
      ].join("\n"),
    );
    const config = loadConfig({
      env: { ...base, CONFIG_FILE: "bridge.yaml", SALES_API_KEY: "sales-key-123" },
      cwd,
    });
    expect(config.routes).toEqual([
      expect.objectContaining({
        platform: "slack",
        workspace: "T123",
        botId: "sales-bot",
        apiKey: "sales-key-123",
      }),
    ]);
    expect(config.policy.deny?.users).toEqual(["U666"]);
    expect(config.relay.mergeQueuedMessages).toBe(false);
    expect(config.secrets).toContain("sales-key-123");
  });

  it("names the file and the key when the YAML file has an unknown setting", () => {
    writeFileSync(join(cwd, "bridge.yaml"), "relay:\n  mergeQueuedMesages: false\n");
    const error = problemsOf(() => loadConfig({ env: { ...base, CONFIG_FILE: "bridge.yaml" }, cwd }));
    expect(error.message).toContain("bridge.yaml");
    expect(error.message).toContain("mergeQueuedMesages");
  });

  it("reads unquoted ids in the YAML file as the ids they are", () => {
    writeFileSync(
      join(cwd, "bridge.yaml"),
      "routes:\n  - channel: -1001234567890\n    botId: group-bot\npolicy:\n  allow:\n    users: [42, 'U7']\n",
    );
    const config = loadConfig({ env: { ...base, CONFIG_FILE: "bridge.yaml" }, cwd });
    expect(config.routes[0]?.channel).toBe("-1001234567890");
    expect(config.policy.allow?.users).toEqual(["42", "U7"]);
  });

  it("refuses an unquoted id too long to be read exactly, naming the key and the fix", () => {
    // A Discord snowflake without quotes reaches the bridge as 1234567890123456800: matching that
    // would silently never match the real guild.
    writeFileSync(join(cwd, "bridge.yaml"), "discord:\n  devGuildId: 1234567890123456789\n");
    const error = problemsOf(() => loadConfig({ env: { ...base, CONFIG_FILE: "bridge.yaml" }, cwd }));
    expect(error.problems).toEqual([
      expect.objectContaining({
        variable: expect.stringContaining("discord.devGuildId"),
        problem: expect.stringContaining("put it in quotes"),
      }),
    ]);
  });

  it("says which values a setting takes when it has a wrong one", () => {
    writeFileSync(join(cwd, "bridge.yaml"), "discord:\n  replyMode: inline\nrelay:\n  concurrency: lots\n");
    const error = problemsOf(() =>
      loadConfig({ env: { ...base, CONFIG_FILE: "bridge.yaml", LOG_LEVEL: "verbose" }, cwd }),
    );
    const problem = (variable: string) => error.problems.find((p) => p.variable.endsWith(variable))?.problem;
    expect(problem("LOG_LEVEL")).toBe("must be one of fatal, error, warn, info, debug, trace, silent");
    expect(problem("discord.replyMode")).toBe("must be one of thread, reply");
    expect(problem("relay.concurrency")).toBe("must be a number");
  });

  it("names CONFIG_FILE when it points nowhere", () => {
    const error = problemsOf(() => loadConfig({ env: { ...base, CONFIG_FILE: "missing.yaml" }, cwd }));
    expect(error.problems.map((p) => p.variable)).toContain("CONFIG_FILE");
  });
});
