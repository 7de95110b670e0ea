// The app manifest operators paste into Slack asks for exactly what the adapter uses.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SLACK_BOT_EVENTS, SLACK_BOT_SCOPES, SLACK_SLASH_COMMANDS } from "../../adapters/slack/index.js";

const manifest = parse(
  readFileSync(fileURLToPath(new URL("../../config/slack-manifest.yaml", import.meta.url)), "utf8"),
);

describe("config/slack-manifest.yaml", () => {
  it("requests exactly the bot scopes the adapter (and its OAuth install) uses", () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...SLACK_BOT_SCOPES].sort());
  });

  it("subscribes to exactly the events the adapter handles", () => {
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual(
      [...SLACK_BOT_EVENTS].sort(),
    );
  });

  it("declares the /reset and /help slash commands and Socket Mode", () => {
    expect(manifest.features.slash_commands.map((c: { command: string }) => c.command)).toEqual(
      SLACK_SLASH_COMMANDS.map((c) => c.command),
    );
    expect(manifest.settings.socket_mode_enabled).toBe(true);
  });
});
