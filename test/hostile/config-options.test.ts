// The options this work adds to the configuration: METRICS_TOKEN, relay.userQuota and texts (global
// and per route), validated once at start-up and documented in the example files.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/app/index.js";
import { ConfigError } from "../../src/errors.js";
import { TEXT_KEYS } from "../../src/relay/replies.js";

const base = { MYGPT_API_KEY: "key-1234567890", MYGPT_BOT_ID: "bot-1", STORE_URL: "memory://" };

describe("configuration of the hostile-input options", () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), "bridge-config-"));
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  it("refuses a METRICS_TOKEN shorter than 16 characters, naming it, and keeps a good one out of logs", () => {
    expect(() => loadConfig({ env: { ...base, METRICS_TOKEN: "short" }, cwd })).toThrow(ConfigError);
    try {
      loadConfig({ env: { ...base, METRICS_TOKEN: "short" }, cwd });
    } catch (error) {
      expect((error as Error).message).toContain("METRICS_TOKEN");
    }
    const token = "a-long-enough-metrics-token";
    const config = loadConfig({ env: { ...base, METRICS_TOKEN: token }, cwd });
    expect(config.http.operatorToken).toBe(token);
    expect(config.secrets).toContain(token);
  });

  it("reads a per-user quota and texts globally and per route; refuses an unknown text key", () => {
    writeFileSync(
      join(cwd, "bridge.yaml"),
      [
        "relay:",
        "  userQuota: { messages: 20, perMinutes: 10 }",
        "texts:",
        "  help: Global help",
        "routes:",
        "  - platform: slack",
        "    botId: bot-de",
        "    texts: { help: Hilfe }",
      ].join("\n"),
    );
    const config = loadConfig({ env: { ...base, CONFIG_FILE: "bridge.yaml" }, cwd });
    expect(config.relay.userQuota).toEqual({ messages: 20, perMinutes: 10 });
    expect(config.texts).toEqual({ help: "Global help" });
    expect(config.routes[0]?.texts).toEqual({ help: "Hilfe" });

    writeFileSync(join(cwd, "bridge.yaml"), "texts:\n  hepl: typo\n");
    expect(() => loadConfig({ env: { ...base, CONFIG_FILE: "bridge.yaml" }, cwd })).toThrow(/hepl|texts/);
  });

  it("the example files document every text key and METRICS_TOKEN", () => {
    const example = readFileSync(new URL("../../config/bridge.example.yaml", import.meta.url), "utf8");
    for (const key of TEXT_KEYS) expect(example).toMatch(new RegExp(`#\\s+${key}:`));
    const env = readFileSync(new URL("../../.env.example", import.meta.url), "utf8");
    expect(env).toContain("METRICS_TOKEN");
  });
});
