// Runs a whole bridge with the real Telegram adapter, made from environment variables by the same
// factory the CLI uses, against the Telegram Bot API emulator and the assistant emulator; plus a
// cast of users and chats, and ways to read what the bot posted.

import type { Logger } from "pino";
import type { PlatformAdapter } from "../../src/adapter.js";
import { openStore } from "../../src/store/open-store.js";
import { type AssistantEmulator, startAssistantEmulator } from "../emulators/assistant/index.js";
import {
  type BotMessageEvent,
  TelegramEmulator,
  type TgChat,
  type TgUpdate,
  type TgUser,
} from "../emulators/telegram/emulator.js";
import { startTestBridge, type TestBridge } from "../support/bridge-harness.js";
import { adaptersFromEnv, botPost } from "../support/platform-bridge.js";
import { freePort } from "../support/redis.js";

export type Mode = "polling" | "webhook";

export const ASSISTANT_WEBHOOK_SECRET = "whsec-telegram-e2e";
export const TELEGRAM_WEBHOOK_SECRET = "tg-e2e-secret_0123456789";

export interface TelegramBridge {
  mode: Mode;
  t: TestBridge;
  assistant: AssistantEmulator;
  telegram: TelegramEmulator;
  user: TgUser;
  otherBot: TgUser;
  dm: TgChat;
  group: TgChat;
  forum: TgChat;
  /** The bridge's POST /telegram/webhook (webhook mode). */
  webhookUrl?: string;
  /** "@bridge_test_bot" */
  mention: string;
  close(): Promise<void>;
}

export async function startTelegramBridge(
  mode: Mode,
  options: {
    yaml?: string;
    env?: Record<string, string>;
    logger?: Logger;
    wrapAdapter?: (adapter: PlatformAdapter) => PlatformAdapter;
  } = {},
): Promise<TelegramBridge> {
  const telegram = new TelegramEmulator();
  const apiRoot = await telegram.start();
  const assistant = await startAssistantEmulator({ webhookSecret: ASSISTANT_WEBHOOK_SECRET });
  const port = mode === "webhook" ? await freePort() : 0;
  const webhookUrl = mode === "webhook" ? `http://127.0.0.1:${port}/telegram/webhook` : undefined;
  const env: Record<string, string> = {
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: apiRoot,
    MYGPT_WEBHOOK_SECRET: ASSISTANT_WEBHOOK_SECRET,
    PORT: String(port),
    ...(webhookUrl && { TELEGRAM_WEBHOOK_URL: webhookUrl, TELEGRAM_WEBHOOK_SECRET }),
    ...options.env,
  };
  const adapterStore = await openStore("memory://");
  const made = await adaptersFromEnv(assistant, env, adapterStore, options.logger);
  const adapters = options.wrapAdapter ? made.map(options.wrapAdapter) : made;
  await adapterStore.close();
  const t = await startTestBridge({
    adapters,
    assistant,
    env,
    http: true,
    yaml: options.yaml,
    logger: options.logger,
  });
  const user = telegram.createUser({ first_name: "Ada", last_name: "Lovelace", username: "ada" });
  return {
    mode,
    t,
    assistant,
    telegram,
    user,
    otherBot: telegram.createUser({ first_name: "Other", username: "other_helper_bot", is_bot: true }),
    dm: telegram.privateChat(user),
    group: telegram.createGroup({ title: "Team", supergroup: true }),
    forum: telegram.createGroup({ title: "Forum", forum: true }),
    ...(webhookUrl && { webhookUrl }),
    mention: `@${telegram.bot.username}`,
    async close() {
      await t.close();
      await assistant.close();
      await telegram.close();
    },
  };
}

export { answersTo, answerTo, chatCalls } from "../support/platform-bridge.js";

/** The bot message whose text matches: already posted, or the next one that does. */
export function posted(
  telegram: TelegramEmulator,
  match: (m: BotMessageEvent) => boolean,
  timeoutMs = 10_000,
): Promise<BotMessageEvent> {
  return botPost(telegram, match, timeoutMs);
}

/** Pushes an update to the bridge the way Telegram's servers do (with the secret header). */
export async function pushUpdate(webhookUrl: string, update: TgUpdate): Promise<number> {
  const response = await fetch(webhookUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-telegram-bot-api-secret-token": TELEGRAM_WEBHOOK_SECRET,
    },
    body: JSON.stringify(update),
  });
  await response.arrayBuffer();
  return response.status;
}
