// A whole bridge with the real Discord adapter (made from env, as `start` makes it) against the
// Discord emulator and the assistant emulator, for the hostile-input tests.
import { openStore } from "../../src/store/open-store.js";
import {
  type AssistantEmulator,
  type AssistantEmulatorOptions,
  startAssistantEmulator,
} from "../emulators/assistant/index.js";
import { DiscordEmulator } from "../emulators/discord/emulator.js";
import { startTestBridge, type TestBridge } from "../support/bridge-harness.js";
import { adaptersFromEnv } from "../support/platform-bridge.js";

export interface DiscordBridge {
  discord: DiscordEmulator;
  assistant: AssistantEmulator;
  t: TestBridge;
  close(): Promise<void>;
}

export async function startDiscordBridge(
  options: {
    /** The config file, made from the emulator's #general channel id. */
    yaml?: (general: string) => string;
    emulator?: AssistantEmulatorOptions;
  } = {},
): Promise<DiscordBridge> {
  const discord = await DiscordEmulator.start();
  const assistant = await startAssistantEmulator(options.emulator);
  const env = { DISCORD_BOT_TOKEN: discord.token, DISCORD_API_URL: discord.apiUrl };
  const store = await openStore("memory://");
  const adapters = await adaptersFromEnv(assistant, env, store);
  const t = await startTestBridge({ adapters, assistant, env, yaml: options.yaml?.(discord.channelId) });
  return {
    discord,
    assistant,
    t,
    async close() {
      await t.close();
      await store.close();
      await assistant.close();
      await discord.close();
    },
  };
}
