// Discord's settings: its environment variables, its section of the YAML file, and the defaults.
import * as v from "valibot";
import { idText, oneOf, optionalText, section, url } from "../../src/config/env.js";
import type { EnvVariable } from "../../src/platform-module.js";

export const DISCORD_API_URL = "https://discord.com/api";

export interface DiscordSettings {
  token: string;
  apiUrl: string;
  replyMode: "thread" | "reply";
  devGuildId?: string;
}

export const DISCORD_ENV = {
  DISCORD_BOT_TOKEN: {
    schema: optionalText,
    meaning: "Enables Discord. Application → Bot → token; enable the Message Content intent.",
    secret: true,
  },
  DISCORD_API_URL: {
    schema: v.optional(url("the Discord REST root"), DISCORD_API_URL),
    meaning: "Discord REST root; the gateway URL is read from `GET /gateway/bot`.",
  },
} satisfies Record<string, EnvVariable>;

/** The `discord:` section of the YAML file. */
export const discordFileSchema = v.optional(
  section({
    replyMode: v.optional(oneOf(["thread", "reply"]), "thread"),
    devGuildId: v.optional(idText),
  }),
  {},
);

export const DISCORD_FILE_MEANINGS = {
  discord: "Discord specifics.",
  "discord.replyMode":
    "`thread`: answer in a thread started from the message; `reply`: answer inline as a reply.",
  "discord.devGuildId":
    "Register slash commands in this guild only (instant, for development) instead of globally.",
};

export function discordSettings(env: Record<string, unknown>, file: unknown): DiscordSettings | undefined {
  const token = env.DISCORD_BOT_TOKEN as string | undefined;
  if (!token) return undefined;
  const fileSection = file as v.InferOutput<typeof discordFileSchema>;
  return {
    token,
    apiUrl: (env.DISCORD_API_URL as string).replace(/\/+$/, ""),
    replyMode: fileSection.replyMode,
    devGuildId: fileSection.devGuildId,
  };
}
