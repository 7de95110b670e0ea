// The Discord platform module: what the composition root needs to know about Discord. The
// implementation (adapter.ts, discord.js) is loaded only when it is used.
import * as v from "valibot";
import { definePlatform } from "../../src/platform-module.js";
import {
  DISCORD_API_URL,
  DISCORD_ENV,
  DISCORD_FILE_MEANINGS,
  type DiscordSettings,
  discordFileSchema,
  discordSettings,
} from "./config.js";

export const discordPlatform = definePlatform<DiscordSettings>({
  id: "discord",
  name: "Discord",
  enabledBy: {
    variable: "DISCORD_BOT_TOKEN",
    whereToGet:
      "create an application at discord.com/developers/applications, add a Bot, copy its token, and enable the Message Content intent",
  },
  env: DISCORD_ENV,
  file: { schema: discordFileSchema, meanings: DISCORD_FILE_MEANINGS },
  settings: ({ env, file }) => discordSettings(env, file),
  async createAdapter(settings, { logger, store, leaseMs }) {
    const { DiscordAdapter } = await import("./adapter.js");
    return new DiscordAdapter({ ...settings, store, leaseMs, logger });
  },
  async invite(env) {
    const token = v.parse(DISCORD_ENV.DISCORD_BOT_TOKEN.schema, env.DISCORD_BOT_TOKEN);
    if (!token)
      return { lines: ["Discord: set DISCORD_BOT_TOKEN to print the invite URL for your application."] };
    const apiUrl = v.parse(DISCORD_ENV.DISCORD_API_URL.schema, env.DISCORD_API_URL ?? DISCORD_API_URL);
    try {
      return { lines: [`Discord: invite the bot with ${await applicationInvite(token, apiUrl)}`] };
    } catch (error) {
      return {
        lines: [],
        failed: `Discord: could not read the application id with DISCORD_BOT_TOKEN: ${(error as Error).message}`,
      };
    }
  },
});

export type { DiscordSettings } from "./config.js";

/** The invite URL for the application behind a bot token (asks Discord for the application id). */
async function applicationInvite(token: string, apiUrl: string): Promise<string> {
  const [{ REST, Routes }, { discordInviteUrl }] = await Promise.all([
    import("discord.js"),
    import("./invite.js"),
  ]);
  const rest = new REST({ api: apiUrl.replace(/\/+$/, "") }).setToken(token);
  const application = (await rest.get(Routes.currentApplication())) as { id: string };
  return discordInviteUrl(application.id);
}
