// Each platform's settings are validated once, by its module, and the adapter applies the same rule:
// a value the configuration accepts is one the adapter accepts, and the other way round.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TelegramAdapter } from "../../adapters/telegram/adapter.js";
import { loadConfig } from "../../src/app/index.js";
import { ConfigError } from "../../src/errors.js";
import { silentLogger } from "../../src/logger.js";

const base = { MYGPT_API_KEY: "key-1234567890", MYGPT_BOT_ID: "bot-1", STORE_URL: "memory://" };
const webhook = {
  TELEGRAM_BOT_TOKEN: "123:abc",
  TELEGRAM_WEBHOOK_URL: "https://bot.example.com/telegram/webhook",
};

describe("platform settings", () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), "platform-settings-"));
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  const configAccepts = (secret: string) => {
    try {
      loadConfig({ cwd, dotenv: false, env: { ...base, ...webhook, TELEGRAM_WEBHOOK_SECRET: secret } });
      return true;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      expect(error.problems.map((p) => p.variable)).toEqual(["TELEGRAM_WEBHOOK_SECRET"]);
      return false;
    }
  };
  const adapterAccepts = (secret: string) => {
    try {
      new TelegramAdapter({
        token: "123:abc",
        webhook: { url: webhook.TELEGRAM_WEBHOOK_URL, secret },
        logger: silentLogger(),
      });
      return true;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return false;
    }
  };

  it("takes any Telegram webhook secret Telegram takes (1-256 of A-Z a-z 0-9 _ -), in config and adapter alike", () => {
    for (const secret of ["x", "short_secret-1", "a".repeat(256)]) {
      expect({ secret, config: configAccepts(secret), adapter: adapterAccepts(secret) }).toEqual({
        secret,
        config: true,
        adapter: true,
      });
    }
    for (const secret of ["has space", "dots.are.out", "a".repeat(257)]) {
      expect({ secret, config: configAccepts(secret), adapter: adapterAccepts(secret) }).toEqual({
        secret,
        config: false,
        adapter: false,
      });
    }
  });

  it("keeps Slack's settings, API root slash and OAuth trio as before", () => {
    const config = loadConfig({
      cwd,
      dotenv: false,
      env: {
        ...base,
        SLACK_BOT_TOKEN: "xoxb-1",
        SLACK_APP_TOKEN: "xapp-1",
        SLACK_API_URL: "http://127.0.0.1:9/api",
      },
    });
    expect(config.platforms.slack).toEqual({
      botToken: "xoxb-1",
      appToken: "xapp-1",
      signingSecret: undefined,
      apiUrl: "http://127.0.0.1:9/api/",
      oauth: undefined,
    });
    expect(config.secrets).toEqual(expect.arrayContaining(["xoxb-1", "xapp-1"]));
  });

  it("names every platform's variable when start has no platform to run", () => {
    try {
      loadConfig({ cwd, dotenv: false, env: base, requirePlatform: true });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems[0]?.variable).toBe(
        "TELEGRAM_BOT_TOKEN / SLACK_BOT_TOKEN / DISCORD_BOT_TOKEN",
      );
    }
  });
});
