// Discord API object shapes the emulator hands out (users, guilds, channels, messages) and the
// error bodies Discord answers with, built the way the real API spells them on the wire.

const DISCORD_EPOCH = 1_420_070_400_000n;
let increment = 0n;

/** A fresh snowflake id: milliseconds since the Discord epoch in the high bits, a counter below. */
export function snowflake(): string {
  increment = (increment + 1n) % 4096n;
  return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | increment).toString();
}

export const ChannelKind = {
  GuildText: 0,
  DM: 1,
  PublicThread: 11,
} as const;

export const MessageKind = {
  Default: 0,
  UserJoin: 7,
  Reply: 19,
  ChatInputCommand: 20,
} as const;

export interface DiscordUser {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: string | null;
  bot?: boolean;
}

export interface DiscordChannel {
  id: string;
  type: number;
  guild_id?: string;
  name?: string;
  parent_id?: string | null;
  owner_id?: string;
  recipients?: DiscordUser[];
  last_message_id?: string | null;
  thread_metadata?: {
    archived: boolean;
    auto_archive_duration: number;
    archive_timestamp: string;
    locked: boolean;
  };
  message_count?: number;
  member_count?: number;
  position?: number;
  permission_overwrites?: unknown[];
}

export interface DiscordRole {
  id: string;
  name: string;
  color: number;
  hoist: boolean;
  position: number;
  permissions: string;
  managed: boolean;
  mentionable: boolean;
  flags: number;
  tags?: { bot_id?: string };
}

export interface DiscordMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: DiscordUser;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: DiscordUser[];
  mention_roles: string[];
  attachments: unknown[];
  embeds: unknown[];
  pinned: boolean;
  type: number;
  flags: number;
  message_reference?: { message_id?: string; channel_id?: string; guild_id?: string };
  webhook_id?: string;
  application_id?: string;
}

export function makeUser(
  username: string,
  options: { bot?: boolean; globalName?: string } = {},
): DiscordUser {
  return {
    id: snowflake(),
    username,
    discriminator: "0",
    global_name: options.globalName ?? null,
    avatar: null,
    ...(options.bot ? { bot: true } : {}),
  };
}

export function makeMessage(fields: {
  channelId: string;
  guildId?: string;
  author: DiscordUser;
  content: string;
  mentions?: DiscordUser[];
  mentionRoles?: string[];
  type?: number;
  flags?: number;
  reference?: DiscordMessage["message_reference"];
  webhookId?: string;
  applicationId?: string;
  /** File names; each becomes an attachment object as Discord sends it. */
  attachments?: string[];
}): DiscordMessage {
  return {
    id: snowflake(),
    channel_id: fields.channelId,
    ...(fields.guildId ? { guild_id: fields.guildId } : {}),
    author: fields.author,
    content: fields.content,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: fields.mentions ?? [],
    mention_roles: fields.mentionRoles ?? [],
    attachments: (fields.attachments ?? []).map((filename) => ({
      id: snowflake(),
      filename,
      size: 1024,
      url: `https://cdn.discord.test/attachments/${filename}`,
      proxy_url: `https://media.discord.test/attachments/${filename}`,
      content_type: filename.endsWith(".png") ? "image/png" : "application/octet-stream",
    })),
    embeds: [],
    pinned: false,
    type: fields.type ?? (fields.reference ? MessageKind.Reply : MessageKind.Default),
    flags: fields.flags ?? 0,
    ...(fields.reference ? { message_reference: fields.reference } : {}),
    ...(fields.webhookId ? { webhook_id: fields.webhookId } : {}),
    ...(fields.applicationId ? { application_id: fields.applicationId } : {}),
  };
}

/** The JSON body of a Discord API error. */
export interface ApiErrorBody {
  message: string;
  code: number;
  errors?: unknown;
}

export const ApiErrors = {
  unauthorized: { message: "401: Unauthorized", code: 0 },
  notFound: { message: "404: Not Found", code: 0 },
  unknownChannel: { message: "Unknown Channel", code: 10003 },
  unknownMessage: { message: "Unknown Message", code: 10008 },
  unknownUser: { message: "Unknown User", code: 10013 },
  unknownWebhook: { message: "Unknown Webhook", code: 10015 },
  unknownInteraction: { message: "Unknown interaction", code: 10062 },
  emptyMessage: { message: "Cannot send an empty message", code: 50006 },
  missingPermissions: { message: "Missing Permissions", code: 50013 },
  alreadyAcknowledged: { message: "Interaction has already been acknowledged.", code: 40060 },
  threadExists: { message: "A thread has already been created for this message", code: 160004 },
} satisfies Record<string, ApiErrorBody>;

/** 400 Invalid Form Body naming one field, e.g. content longer than 2000 characters. */
export function invalidFormBody(field: string, code: string, message: string): ApiErrorBody {
  return { message: "Invalid Form Body", code: 50035, errors: { [field]: { _errors: [{ code, message }] } } };
}
