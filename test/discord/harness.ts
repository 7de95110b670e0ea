// Wires the real Discord adapter (discord.js) to a fresh Discord emulator for one test.

import { DiscordAdapter, type DiscordAdapterOptions } from "../../adapters/discord/adapter.js";
import type { PlatformAdapter } from "../../src/adapter.js";
import { silentLogger } from "../../src/logger.js";
import { DiscordEmulator, type EmulatorOptions } from "../emulators/discord/emulator.js";
import type { AdapterHarness } from "../support/adapter-contract.js";

export interface DiscordHarness extends AdapterHarness {
  emulator: DiscordEmulator;
}

export async function makeDiscordHarness(
  adapterOptions:
    | Partial<DiscordAdapterOptions>
    | ((emulator: DiscordEmulator) => Partial<DiscordAdapterOptions>) = {},
  emulatorOptions: EmulatorOptions = {},
): Promise<DiscordHarness> {
  const emulator = await DiscordEmulator.start(emulatorOptions);
  const extra = typeof adapterOptions === "function" ? adapterOptions(emulator) : adapterOptions;
  const adapter: PlatformAdapter = new DiscordAdapter({
    token: emulator.token,
    apiUrl: emulator.apiUrl,
    logger: silentLogger(),
    ...extra,
  });
  return {
    emulator,
    adapter,
    sendDirect: async (text) => {
      emulator.userSaysInDm(text);
    },
    sendMention: async (text) => {
      emulator.userSays(text, { mentionBot: true });
    },
    sendFromOtherBot: async (text) => {
      emulator.otherBotSays(text);
    },
    waitForBotMessage: async (needle) => {
      const seen = await emulator.nextBotMessage((m) => m.text.includes(needle));
      return { text: seen.text, conversation: { channelId: seen.channelId } };
    },
    waitForTyping: async () => {
      await emulator.nextTyping();
    },
    close: () => emulator.close(),
  };
}
