// The Slack platform module: what the composition root needs to know about Slack, and the light
// helpers its tests and the README refer to. The implementation (adapter.ts, Bolt) is loaded only
// when a Slack adapter is built.
import { definePlatform } from "../../src/platform-module.js";
import { SLACK_ENV, type SlackSettings, slackSettings } from "./config.js";

export const slackPlatform = definePlatform<SlackSettings>({
  id: "slack",
  name: "Slack",
  enabledBy: {
    variable: "SLACK_BOT_TOKEN",
    whereToGet:
      "create a Slack app from config/slack-manifest.yaml at api.slack.com/apps, install it, and copy the Bot User OAuth Token (xoxb-…)",
  },
  env: SLACK_ENV,
  settings: ({ env, problems }) => slackSettings(env, problems),
  async createAdapter(settings, { logger, store }) {
    const { createSlackAdapter } = await import("./adapter.js");
    return createSlackAdapter({
      ...settings,
      oauth: settings.oauth ? { ...settings.oauth, store } : undefined,
      logger,
    });
  },
  async invite(_env, shipped) {
    return {
      lines: [
        `Slack: create the app from the manifest ${shipped("config/slack-manifest.yaml")}`,
        "       (api.slack.com/apps → Create New App → From an app manifest), then install it.",
      ],
    };
  },
  /** Slack user ids belong to a workspace. */
  userScope: (conversation) => conversation.workspaceId,
});

export type { SlackSettings } from "./config.js";
export { KeyvInstallationStore } from "./installations.js";
export { PLACEHOLDER_TEXT, STATUS_TEXT } from "./progress.js";
export { markdownToMrkdwn } from "./render.js";
export { SLACK_BOT_EVENTS, SLACK_BOT_SCOPES, SLACK_SLASH_COMMANDS } from "./scopes.js";
export { checkSlackSignature } from "./signature.js";
