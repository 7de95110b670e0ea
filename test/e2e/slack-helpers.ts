// Runs a whole bridge with the real Slack adapter, made from environment variables by the same
// factory the CLI uses (src/platforms.ts), against the Slack emulator (Socket Mode, or signed HTTP
// events to the bridge's own server) and the assistant emulator; plus a person, their DM, a channel,
// another bot, and ways to read what the bot showed in Slack.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.js";
import { silentLogger } from "../../src/logger.js";
import { createPlatformAdapters } from "../../src/platforms.js";
import { type BridgeStore, createStore } from "../../src/store/create-store.js";
import { type AssistantEmulator, startAssistantEmulator } from "../emulators/assistant/index.js";
import {
  type BotMessageEvent,
  type SlackChannel,
  SlackEmulator,
  type SlackUser,
} from "../emulators/slack/emulator.js";
import { parseReply, startTestBridge, type TestBridge } from "../support/bridge-harness.js";
import { waitForEvent } from "../support/events.js";

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
  };
  // The adapter's OAuth installations live in this store for the life of the bridge.
  const adapterStore = await createStore("memory://");
  const adapters = await adaptersFromEnv(assistant, env, adapterStore);
  const t = await startTestBridge({ adapters, assistant, env, http: true });
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

/** The adapters src/platforms.ts makes from this environment, as `mygpt-bridge start` would. */
async function adaptersFromEnv(
  assistant: AssistantEmulator,
  env: Record<string, string>,
  store: BridgeStore,
) {
  const cwd = mkdtempSync(join(tmpdir(), "slack-e2e-"));
  try {
    const config = loadConfig({
      cwd,
      dotenv: false,
      env: {
        MYGPT_API_URL: assistant.url,
        MYGPT_API_KEY: assistant.apiKey,
        MYGPT_BOT_ID: assistant.botId,
        STORE_URL: "memory://",
        HOST: "127.0.0.1",
        ...env,
      },
    });
    return await createPlatformAdapters(config, silentLogger(), store);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** A bot post or update that matches: already recorded, or the next one that does. */
export function shown(
  slack: SlackEmulator,
  match: (m: BotMessageEvent) => boolean,
  timeoutMs = 10_000,
): Promise<BotMessageEvent> {
  const seen = slack.sent.find(match);
  if (seen) return Promise.resolve(seen);
  return waitForEvent<BotMessageEvent>(slack, "botMessage", match, timeoutMs);
}

/** The assistant's answer to `question` (the emulator echoes it), as it appeared in Slack. */
export async function answerTo(slack: SlackEmulator, question: string) {
  const sent = await shown(slack, (m) => isAnswerTo(m, question));
  return { ...parseReply(sent.text), sent };
}

export function answersTo(slack: SlackEmulator, question: string): BotMessageEvent[] {
  return slack.sent.filter((m) => isAnswerTo(m, question));
}

function isAnswerTo(m: BotMessageEvent, question: string): boolean {
  return /^\[session \S+ turn \d+\] /.test(m.text) && parseReply(m.text).message === question;
}

export function chatCalls(assistant: AssistantEmulator): number {
  return assistant.requests.filter((r) => r.kind === "chat").length;
}

/** What the bot's messages in a channel (or one thread) read now, oldest first. */
export function botTexts(slack: SlackEmulator, channelId: string, threadTs?: string): string[] {
  return slack
    .history(channelId, threadTs)
    .filter((m) => m.botId === slack.workspace.botId)
    .map((m) => m.text);
}
