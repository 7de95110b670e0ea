// Wires the real Slack adapter (Bolt) to the Slack emulator in Socket Mode or HTTP mode (on an
// express app listening on 127.0.0.1, as the bridge's server would), with one person, their DM, a
// channel the bot is in, and helpers to wait for what the bot did.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { SlackAdapter, type SlackAdapterOptions } from "../../adapters/slack/adapter.js";
import { silentLogger } from "../../src/logger.js";
import {
  type BotMessageEvent,
  type SlackChannel,
  SlackEmulator,
  type SlackUser,
  type StatusEvent,
} from "../emulators/slack/emulator.js";
import type { AdapterHarness } from "../support/adapter-contract.js";
import { waitForEvent } from "../support/events.js";

export type Mode = "socket" | "http";
export const SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
/** Fast retries for tests; the 429 wait itself comes from Retry-After. */
export const TEST_RETRY = { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 10, maxRetryTime: 10_000 };

export interface SlackSetup {
  mode: Mode;
  emulator: SlackEmulator;
  adapter: SlackAdapter;
  user: SlackUser;
  dm: SlackChannel;
  channel: SlackChannel;
  /** The bridge's base URL (HTTP mode). */
  baseUrl: string;
  close(): Promise<void>;
}

export async function setupSlack(
  mode: Mode,
  overrides: (emulator: SlackEmulator, baseUrl: string) => Partial<SlackAdapterOptions> = () => ({}),
): Promise<SlackSetup> {
  const emulator = new SlackEmulator();
  const apiUrl = await emulator.start();
  const app = express();
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (mode === "http") emulator.deliverOverHttp(`${baseUrl}/slack/events`, SIGNING_SECRET);
  const adapter = new SlackAdapter({
    botToken: emulator.workspace.botToken,
    apiUrl,
    logger: silentLogger(),
    retryConfig: TEST_RETRY,
    ...(mode === "socket" ? { appToken: emulator.appToken } : { signingSecret: SIGNING_SECRET }),
    ...overrides(emulator, baseUrl),
  });
  adapter.mountHttp(app);
  const user = emulator.createUser({
    name: "ada",
    realName: "Ada Lovelace",
    displayName: "Ada",
    email: "ada@example.com",
    tz: "Europe/London",
  });
  return {
    mode,
    emulator,
    adapter,
    user,
    dm: emulator.dmWith(user),
    channel: emulator.createChannel("general"),
    baseUrl,
    async close() {
      await adapter.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await emulator.close();
    },
  };
}

/** A bot message (post or update) whose text contains `needle`: already recorded, or the next one. */
export function botMessage(emulator: SlackEmulator, needle: string): Promise<BotMessageEvent> {
  const seen = emulator.sent.find((m) => m.text.includes(needle));
  if (seen) return Promise.resolve(seen);
  return waitForEvent<BotMessageEvent>(emulator, "botMessage", (m) => m.text.includes(needle));
}

export function statusSet(
  emulator: SlackEmulator,
  predicate: (s: StatusEvent) => boolean,
): Promise<StatusEvent> {
  const seen = emulator.statuses.find(predicate);
  if (seen) return Promise.resolve(seen);
  return waitForEvent<StatusEvent>(emulator, "status", predicate);
}

/** The shared adapter suite's view of a setup. */
export async function contractHarness(mode: Mode): Promise<AdapterHarness> {
  const setup = await setupSlack(mode);
  const { emulator, user, dm, channel } = setup;
  const otherBot = emulator.createUser({ name: "otherbot", isBot: true });
  return {
    adapter: setup.adapter,
    sendDirect: async (text) => {
      await emulator.userSays(user, dm, text);
    },
    sendMention: async (text) => {
      await emulator.userSays(user, channel, `${emulator.mention()} ${text}`);
    },
    sendFromOtherBot: async (text) => {
      await emulator.userSays(otherBot, emulator.dmWith(otherBot), text);
      await emulator.userSays(otherBot, channel, `${emulator.mention()} ${text}`);
    },
    waitForBotMessage: async (needle) => {
      const m = await botMessage(emulator, needle);
      return {
        text: m.text,
        conversation: { channelId: m.channel, ...(m.threadTs && { threadId: m.threadTs }) },
      };
    },
    waitForTyping: async () => {
      await botMessage(emulator, "Thinking");
    },
    close: () => setup.close(),
  };
}
