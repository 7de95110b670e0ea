// Makes the platform adapters whose credentials are configured. The one place that knows every
// adapter's factory and how config maps onto its options. Adapters load on use, so a deployment
// that runs one platform never loads the others' SDKs.
import type { Logger } from "pino";
import type { PlatformAdapter } from "./adapter.js";
import type { BridgeConfig } from "./config/load.js";
import type { Store } from "./store/types.js";

export async function createPlatformAdapters(
  config: BridgeConfig,
  logger: Logger,
  store: Store,
): Promise<PlatformAdapter[]> {
  const adapters: PlatformAdapter[] = [];
  if (config.telegram) {
    const { createTelegramAdapter } = await import("../adapters/telegram/index.js");
    adapters.push(
      createTelegramAdapter({
        token: config.telegram.token,
        apiRoot: config.telegram.apiRoot,
        webhook: config.telegram.webhook,
        store,
        logger: logger.child({ platform: "telegram" }),
      }),
    );
  }
  if (config.slack) {
    const { createSlackAdapter } = await import("../adapters/slack/index.js");
    adapters.push(
      createSlackAdapter({
        botToken: config.slack.botToken,
        appToken: config.slack.appToken,
        signingSecret: config.slack.signingSecret,
        apiUrl: config.slack.apiUrl,
        oauth: config.slack.oauth ? { ...config.slack.oauth, store } : undefined,
        logger: logger.child({ platform: "slack" }),
      }),
    );
  }
  if (config.discord) {
    const { createDiscordAdapter } = await import("../adapters/discord/index.js");
    adapters.push(
      createDiscordAdapter({
        token: config.discord.token,
        apiUrl: config.discord.apiUrl,
        replyMode: config.discord.replyMode,
        devGuildId: config.discord.devGuildId,
        store,
        logger: logger.child({ platform: "discord" }),
      }),
    );
  }
  return adapters;
}

/** The Discord invite URL for the application behind DISCORD_BOT_TOKEN. */
export async function discordApplicationInvite(discord: { token: string; apiUrl: string }): Promise<string> {
  const { REST, Routes } = await import("discord.js");
  const { discordInviteUrl } = await import("../adapters/discord/index.js");
  const rest = new REST({ api: discord.apiUrl }).setToken(discord.token);
  const application = (await rest.get(Routes.currentApplication())) as { id: string };
  return discordInviteUrl(application.id);
}
