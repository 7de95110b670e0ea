// Runs a whole bridge with the real Slack adapter, made from environment variables by the same
// factory the CLI uses (src/platforms.ts), against the Slack emulator (Socket Mode, or signed HTTP
// events to the bridge's own server) and the assistant emulator; plus a person, their DM, a channel,
// another bot, and ways to read what the bot showed in Slack.

import type { Logger } from "pino";
import type { PlatformAdapter } from "../../src/adapter.js";
import { openStore } from "../../src/store/open-store.js";
import { type AssistantEmulator, startAssistantEmulator } from "../emulators/assistant/index.js";
import {
  type BotMessageEvent,
  type SlackChannel,
  SlackEmulator,
  type SlackUser,
} from "../emulators/slack/emulator.js";
import { startTestBridge, type TestBridge } from "../support/bridge-harness.js";
import { adaptersFromEnv, botPost } from "../support/platform-bridge.js";

export type Mode = "socket" | "http";

export const ASSISTANT_WEBHOOK_SECRET = "whsec-slack-e2e";
export const SLACK_SIGNING_SECRET = "e2e-signing-secret-0123456789abcdef";
export const SLACK_STATE_SECRET = "e2e-oauth-state-secret";

export interface SlackBridge {
  mode: Mode;
  t: TestBridge;
  assistant: AssistantEmulator;
  slack: SlackEmulator;
  user: SlackUser;
  otherBot: SlackUser;
  dm: SlackChannel;
  channel: SlackChannel;
  /** The bridge's HTTP server. */
  url: string;
  close(): Promise<void>;
}

export interface SlackBridgeOptions {
  /** Also serve the multi-workspace OAuth install (forces HTTP mode's signing secret). */
  oauth?: boolean;
  /** Puts something between the adapter and the relay (e.g. a store outage). */
  wrapAdapter?: (adapter: PlatformAdapter) => PlatformAdapter;
  /** Extra environment for the bridge. */
  env?: Record<string, string>;
  logger?: Logger;
}

export async function startSlackBridge(mode: Mode, options: SlackBridgeOptions = {}): Promise<SlackBridge> {
  const slack = new SlackEmulator();
  const apiUrl = await slack.start();
  const assistant = await startAssistantEmulator({ webhookSecret: ASSISTANT_WEBHOOK_SECRET });
  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: slack.workspace.botToken,
    SLACK_API_URL: apiUrl,
    MYGPT_WEBHOOK_SECRET: ASSISTANT_WEBHOOK_SECRET,
    ...(mode === "socket" ? { SLACK_APP_TOKEN: slack.appToken } : { SLACK_SIGNING_SECRET }),
    ...(options.oauth && {
      SLACK_SIGNING_SECRET,
      SLACK_CLIENT_ID: slack.clientId,
      SLACK_CLIENT_SECRET: slack.clientSecret,
      SLACK_STATE_SECRET,
    }),
    ...options.env,
  };
  // The adapter's OAuth installations live in this store for the life of the bridge.
  const adapterStore = await openStore("memory://");
  const made = await adaptersFromEnv(assistant, env, adapterStore, options.logger);
  const adapters = options.wrapAdapter ? made.map(options.wrapAdapter) : made;
  const t = await startTestBridge({ adapters, assistant, env, http: true, logger: options.logger });
  const url = t.bridge.url as string;
  if (mode === "http") slack.deliverOverHttp(`${url}/slack/events`, SLACK_SIGNING_SECRET);
  slack.appRedirectUrl = `${url}/slack/oauth_redirect`;
  const user = slack.createUser({
    name: "ada",
    realName: "Ada Lovelace",
    displayName: "Ada",
    email: "ada@example.com",
    tz: "Europe/London",
  });
  return {
    mode,
    t,
    assistant,
    slack,
    user,
    otherBot: slack.createUser({ name: "deploybot", isBot: true }),
    dm: slack.dmWith(user),
    channel: slack.createChannel("general"),
    url,
    async close() {
      await t.close();
      await assistant.close();
      await adapterStore.close();
      await slack.close();
    },
  };
}

export { answersTo, answerTo, chatCalls } from "../support/platform-bridge.js";

/** A bot post or update that matches: already recorded, or the next one that does. */
export function shown(
  slack: SlackEmulator,
  match: (m: BotMessageEvent) => boolean,
  timeoutMs = 10_000,
): Promise<BotMessageEvent> {
  return botPost(slack, match, timeoutMs);
}

export function botTexts(slack: SlackEmulator, channelId: string, threadTs?: string): string[] {
  return slack
    .history(channelId, threadTs)
    .filter((m) => m.botId === slack.workspace.botId)
    .map((m) => m.text);
}
