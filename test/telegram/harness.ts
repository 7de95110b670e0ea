// Wires the real Telegram adapter (grammY) to the Bot API emulator in polling or webhook mode, with
// one human, one private chat, a group and a forum, and helpers to wait for what the bot did.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { TelegramAdapter, type TelegramAdapterOptions } from "../../adapters/telegram/adapter.js";
import { silentLogger } from "../../src/logger.js";
import {
  type BotMessageEvent,
  type ChatActionEvent,
  TelegramEmulator,
  type TgChat,
  type TgUser,
} from "../emulators/telegram/emulator.js";
import type { AdapterHarness } from "../support/adapter-contract.js";
import { waitForEvent } from "../support/events.js";

export type Mode = "polling" | "webhook";
export const WEBHOOK_SECRET = "s3cret-for_tests";

export interface TelegramSetup {
  mode: Mode;
  emulator: TelegramEmulator;
  adapter: TelegramAdapter;
  user: TgUser;
  dm: TgChat;
  group: TgChat;
  forum: TgChat;
  /** Where the bridge's HTTP server listens (webhook mode). */
  webhookUrl?: string;
  close(): Promise<void>;
}

export async function setupTelegram(
  mode: Mode,
  overrides: Partial<TelegramAdapterOptions> = {},
): Promise<TelegramSetup> {
  const emulator = new TelegramEmulator();
  const apiRoot = await emulator.start();
  let server: Server | undefined;
  let webhookUrl: string | undefined;
  const app = express();
  if (mode === "webhook") {
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/telegram/webhook`;
  }
  const adapter = new TelegramAdapter({
    token: emulator.token,
    apiRoot,
    logger: silentLogger(),
    pollTimeoutSeconds: 5,
    ...(webhookUrl && { webhook: { url: webhookUrl, secret: WEBHOOK_SECRET } }),
    ...overrides,
  });
  adapter.mountHttp?.(app);
  const user = emulator.createUser({ first_name: "Ada", last_name: "Lovelace", username: "ada" });
  return {
    mode,
    emulator,
    adapter,
    user,
    dm: emulator.privateChat(user),
    group: emulator.createGroup({ title: "Team", supergroup: true }),
    forum: emulator.createGroup({ title: "Forum", forum: true }),
    ...(webhookUrl && { webhookUrl }),
    async close() {
      await adapter.stop();
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server!.close(() => resolve()));
      }
      await emulator.close();
    },
  };
}

/** The bot message whose text contains `needle`: already sent, or the next one. */
export function botMessage(emulator: TelegramEmulator, needle: string): Promise<BotMessageEvent> {
  const seen = emulator.sent.find((m) => m.text.includes(needle));
  if (seen) return Promise.resolve(seen);
  return waitForEvent<BotMessageEvent>(emulator, "botMessage", (m) => m.text.includes(needle));
}

export function chatAction(emulator: TelegramEmulator, count = 1): Promise<ChatActionEvent> {
  const seen = emulator.actions[count - 1];
  if (seen) return Promise.resolve(seen);
  return waitForEvent<ChatActionEvent>(emulator, "chatAction", () => emulator.actions.length >= count);
}

/** The shared adapter suite's view of a setup. */
export async function contractHarness(mode: Mode): Promise<AdapterHarness> {
  const setup = await setupTelegram(mode);
  const { emulator, user, dm, group } = setup;
  const otherBot = emulator.createUser({ first_name: "Other", username: "other_helper_bot", is_bot: true });
  return {
    adapter: setup.adapter,
    sendDirect: async (text) => {
      emulator.userSays(dm, user, text);
    },
    sendMention: async (text) => {
      emulator.userSays(group, user, `@${emulator.bot.username} ${text}`);
    },
    sendFromOtherBot: async (text) => {
      emulator.userSays(group, otherBot, `@${emulator.bot.username} ${text}`);
    },
    waitForBotMessage: async (needle) => {
      const m = await botMessage(emulator, needle);
      return {
        text: m.text,
        conversation: { channelId: String(m.chatId), ...(m.threadId && { threadId: String(m.threadId) }) },
      };
    },
    waitForTyping: async () => {
      await chatAction(emulator);
    },
    close: () => setup.close(),
  };
}
