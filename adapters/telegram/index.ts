// The Telegram platform module: what the composition root needs to know about Telegram. The
// implementation (adapter.ts, grammY) is loaded only when a Telegram adapter is built.
import { definePlatform } from "../../src/platform-module.js";
import { TELEGRAM_ENV, type TelegramSettings, telegramSettings } from "./config.js";

export const telegramPlatform = definePlatform<TelegramSettings>({
  id: "telegram",
  name: "Telegram",
  enabledBy: {
    variable: "TELEGRAM_BOT_TOKEN",
    whereToGet: "talk to @BotFather on Telegram, /newbot, and copy the token it gives",
  },
  env: TELEGRAM_ENV,
  settings: ({ env, problems }) => telegramSettings(env, problems),
  async createAdapter(settings, { logger, store, leaseMs }) {
    const { createTelegramAdapter } = await import("./adapter.js");
    return createTelegramAdapter({ ...settings, store, leaseMs, logger });
  },
  /** In groups Telegram sends commands as "/help@botname". */
  commandSyntax: (text) => text.replace(/^(\/[A-Za-z0-9_]+)@[A-Za-z0-9_]+(?=\s|$)/, "$1"),
  logRedactPaths: ['headers["x-telegram-bot-api-secret-token"]'],
});

export type { TelegramSettings } from "./config.js";
