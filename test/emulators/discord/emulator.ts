// A Discord stand-in for tests: REST (/api/v10) and a gateway websocket on one 127.0.0.1 port, a
// guild with one text channel, a human user and another bot. Tests act as users through the
// user-side helpers (userSays, userSaysInDm, userRunsCommand, ...) and watch what the bot did
// through events: "botMessage", "typing", "threadCreated", "commandsRegistered", "rateLimited".

import { EventEmitter } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { waitForEvent } from "../../support/events.js";
import { Gateway, MESSAGE_CONTENT_INTENT } from "./gateway.js";
import {
  ChannelKind,
  type DiscordChannel,
  type DiscordMessage,
  type DiscordRole,
  type DiscordUser,
  MessageKind,
  makeMessage,
  makeUser,
  snowflake,
} from "./payloads.js";
import { type AllowedMentions, createRestRouter, pingsOf } from "./rest.js";

/** Application flag: the Message Content intent is switched on in the Developer Portal. */
export const GATEWAY_MESSAGE_CONTENT = 1 << 19;

export type BotMessageVia = "channel" | "interaction-response" | "interaction-edit" | "followup";

/** Something the bot posted, as a user would see it. */
export interface BotMessage {
  via: BotMessageVia;
  messageId: string;
  channelId: string;
  guildId?: string;
  text: string;
  /** Who this message notified ("everyone", "user:<id>", "role:<id>"). */
  pings: string[];
  /** The message it replies to, if any. */
  replyTo?: string;
  ephemeral: boolean;
}

export interface EmulatedInteraction {
  id: string;
  token: string;
  channelId: string;
  guildId?: string;
  state: "new" | "deferred" | "replied";
  ephemeral: boolean;
  expired: boolean;
  original?: DiscordMessage;
}

interface ScriptedRateLimit {
  method: string;
  path: RegExp;
  remaining: number;
  retryAfterMs: number;
  global: boolean;
}

export interface EmulatorOptions {
  token?: string;
  /** Application flags; default has the Message Content intent enabled. */
  applicationFlags?: number;
  heartbeatIntervalMs?: number;
}

export class DiscordEmulator extends EventEmitter {
  readonly token: string;
  readonly bot = makeUser("mygpt-bot", { bot: true });
  readonly applicationId = this.bot.id;
  applicationFlags: number;
  readonly human = makeUser("alice", { globalName: "Alice A." });
  readonly otherBot = makeUser("other-bot", { bot: true });
  readonly guildId = snowflake();
  readonly channelId = snowflake();
  readonly botRole: DiscordRole;
  readonly users = new Map<string, DiscordUser>();
  readonly channels = new Map<string, DiscordChannel>();
  readonly messages = new Map<string, DiscordMessage>();
  readonly interactions = new Map<string, EmulatedInteraction>();
  readonly forbiddenChannels = new Set<string>();
  readonly sent: BotMessage[] = [];
  readonly typing: string[] = [];
  readonly commands = new Map<string, unknown[]>();
  readonly gateway: Gateway;
  private readonly rateLimits: ScriptedRateLimit[] = [];
  private baseUrl = "";

  private constructor(
    private readonly server: Server,
    options: EmulatorOptions,
  ) {
    super();
    this.token = options.token ?? "emulated.discord.bot-token";
    this.applicationFlags = options.applicationFlags ?? GATEWAY_MESSAGE_CONTENT;
    for (const user of [this.bot, this.human, this.otherBot]) this.users.set(user.id, user);
    this.botRole = {
      id: snowflake(),
      name: this.bot.username,
      color: 0,
      hoist: false,
      position: 1,
      permissions: "0",
      managed: true,
      mentionable: false,
      flags: 0,
      tags: { bot_id: this.bot.id },
    };
    this.channels.set(this.channelId, {
      id: this.channelId,
      type: ChannelKind.GuildText,
      guild_id: this.guildId,
      name: "general",
      parent_id: null,
      position: 0,
      permission_overwrites: [],
      last_message_id: null,
    });
    this.gateway = new Gateway(server, {
      token: this.token,
      path: "/gateway",
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
      ready: (sessionId, resumeUrl) => ({
        v: 10,
        user: this.bot,
        guilds: [{ id: this.guildId, unavailable: true }],
        session_id: sessionId,
        resume_gateway_url: resumeUrl,
        application: { id: this.applicationId, flags: this.applicationFlags },
        shard: [0, 1],
        private_channels: [],
        relationships: [],
        presences: [],
        geo_ordered_rtc_regions: [],
      }),
      guilds: () => [this.guildPayload()],
      privilegedIntentsAllowed: () =>
        (this.applicationFlags & GATEWAY_MESSAGE_CONTENT) !== 0 ? MESSAGE_CONTENT_INTENT : 0,
    });
  }

  static async start(options: EmulatorOptions = {}): Promise<DiscordEmulator> {
    const app = express();
    const server = createServer(app);
    const emu = new DiscordEmulator(server, options);
    app.use("/api/v10", createRestRouter(emu));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    emu.baseUrl = `127.0.0.1:${port}`;
    emu.gateway.setUrl(emu.gatewayUrl);
    return emu;
  }

  /** What DISCORD_API_URL would be set to (discord.js appends /v10). */
  get apiUrl(): string {
    return `http://${this.baseUrl}/api`;
  }

  get gatewayUrl(): string {
    return `ws://${this.baseUrl}/gateway`;
  }

  async close(): Promise<void> {
    await this.gateway.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- the user side -------------------------------------------------------------------------

  /** A user writes in a guild channel or thread (the general channel unless told otherwise). */
  userSays(
    text: string,
    options: {
      channelId?: string;
      author?: DiscordUser;
      mentionBot?: boolean;
      mentionBotRole?: boolean;
      type?: number;
      /** File names sent with the message (images, documents). */
      attachments?: string[];
    } = {},
  ): DiscordMessage {
    const channel = this.requireChannel(options.channelId ?? this.channelId);
    const prefix = options.mentionBot
      ? `<@${this.bot.id}> `
      : options.mentionBotRole
        ? `<@&${this.botRole.id}> `
        : "";
    const message = makeMessage({
      channelId: channel.id,
      guildId: this.guildId,
      author: options.author ?? this.human,
      content: `${prefix}${text}`,
      mentions: options.mentionBot ? [this.bot] : [],
      mentionRoles: options.mentionBotRole ? [this.botRole.id] : [],
      ...(options.type !== undefined ? { type: options.type } : {}),
      ...(options.attachments ? { attachments: options.attachments } : {}),
    });
    this.deliver(channel, message);
    return message;
  }

  /** A user writes to the bot in a DM. */
  userSaysInDm(
    text: string,
    author: DiscordUser = this.human,
    options: { attachments?: string[] } = {},
  ): DiscordMessage {
    const channel = this.dmChannelOf(author);
    const message = makeMessage({
      channelId: channel.id,
      author,
      content: text,
      ...(options.attachments ? { attachments: options.attachments } : {}),
    });
    this.deliver(channel, message);
    return message;
  }

  /** Another bot posts (in the general channel by default), mentioning our bot. */
  otherBotSays(text: string, channelId = this.channelId): DiscordMessage {
    return this.userSays(text, { channelId, author: this.otherBot, mentionBot: true });
  }

  /** Discord posts a system message (a member joined). */
  memberJoins(channelId = this.channelId): DiscordMessage {
    return this.userSays("", { channelId, type: MessageKind.UserJoin, mentionBot: false });
  }

  /** A user edits a message they sent (MESSAGE_UPDATE). */
  userEdits(message: DiscordMessage, text: string): void {
    const edited = { ...message, content: text, edited_timestamp: new Date().toISOString() };
    this.messages.set(edited.id, edited);
    this.gateway.dispatch("MESSAGE_UPDATE", edited);
  }

  /** A user runs a slash command in a channel (general by default) or a DM (`dm: true`). */
  userRunsCommand(
    name: string,
    options: Record<string, string> = {},
    where: { channelId?: string; dm?: boolean; author?: DiscordUser } = {},
  ): EmulatedInteraction {
    const author = where.author ?? this.human;
    const channel = where.dm
      ? this.dmChannelOf(author)
      : this.requireChannel(where.channelId ?? this.channelId);
    const interaction: EmulatedInteraction = {
      id: snowflake(),
      token: `interaction-token-${snowflake()}`,
      channelId: channel.id,
      ...(channel.guild_id ? { guildId: channel.guild_id } : {}),
      state: "new",
      ephemeral: false,
      expired: false,
    };
    this.interactions.set(interaction.token, interaction);
    const command = [...this.commands.values()].flat().find((c) => (c as { name: string }).name === name) as
      | { id: string }
      | undefined;
    this.gateway.dispatch("INTERACTION_CREATE", {
      id: interaction.id,
      application_id: this.applicationId,
      type: 2,
      data: {
        id: command?.id ?? snowflake(),
        name,
        type: 1,
        options: Object.entries(options).map(([key, value]) => ({ name: key, type: 3, value })),
      },
      channel_id: channel.id,
      channel: {
        id: channel.id,
        type: channel.type,
        ...(channel.guild_id ? { guild_id: channel.guild_id } : {}),
      },
      token: interaction.token,
      version: 1,
      app_permissions: "2248473465835073",
      locale: "en-US",
      entitlements: [],
      authorizing_integration_owners: { "0": this.guildId },
      context: where.dm ? 1 : 0,
      ...(channel.guild_id
        ? {
            guild_id: channel.guild_id,
            guild_locale: "en-US",
            member: {
              user: author,
              roles: [],
              joined_at: new Date().toISOString(),
              deaf: false,
              mute: false,
              flags: 0,
              permissions: "2248473465835073",
            },
          }
        : { user: author }),
    });
    return interaction;
  }

  /** Interaction tokens live 15 minutes; this makes one stale now. */
  expireInteraction(interaction: EmulatedInteraction): void {
    interaction.expired = true;
  }

  /** The next `count` requests matching method and path (under /api/v10) get a 429. */
  rateLimitNext(method: string, path: RegExp, count = 1, retryAfterMs = 1000, global = false): void {
    this.rateLimits.push({ method: method.toUpperCase(), path, remaining: count, retryAfterMs, global });
  }

  /** Drops the bot's gateway connection; discord.js should resume and get what it missed. */
  forceDisconnect(code?: number): Promise<void> {
    return this.gateway.forceDisconnect(code);
  }

  // --- what the bot did ----------------------------------------------------------------------

  /** A bot message already recorded, or the next one, that matches. */
  nextBotMessage(predicate: (m: BotMessage) => boolean, timeoutMs = 10_000): Promise<BotMessage> {
    return this.nextOf("botMessage", this.sent, predicate, timeoutMs);
  }

  /** A typing indicator already shown in the channel, or the next one. */
  nextTyping(channelId?: string, timeoutMs = 10_000): Promise<string> {
    return this.nextOf("typing", this.typing, (c) => channelId === undefined || c === channelId, timeoutMs);
  }

  // --- used by the REST routes ---------------------------------------------------------------

  takeScriptedRateLimit(method: string, path: string): ScriptedRateLimit | undefined {
    const limit = this.rateLimits.find((l) => l.remaining > 0 && l.method === method && l.path.test(path));
    if (!limit) return undefined;
    limit.remaining -= 1;
    this.emit("rateLimited", { method, path });
    return limit;
  }

  recordBotMessage(
    via: BotMessageVia,
    message: DiscordMessage,
    allowed: AllowedMentions | undefined,
    ephemeral: boolean,
  ): void {
    this.messages.set(message.id, message);
    const record: BotMessage = {
      via,
      messageId: message.id,
      channelId: message.channel_id,
      ...(message.guild_id ? { guildId: message.guild_id } : {}),
      text: message.content,
      pings: pingsOf(message.content, allowed),
      ...(message.message_reference?.message_id ? { replyTo: message.message_reference.message_id } : {}),
      ephemeral,
    };
    this.sent.push(record);
    this.emit("botMessage", record);
    const channel = this.channels.get(message.channel_id);
    if (channel && !ephemeral && via !== "interaction-edit") this.deliver(channel, message);
  }

  recordTyping(channelId: string): void {
    this.typing.push(channelId);
    this.emit("typing", channelId);
  }

  startThread(
    parent: DiscordChannel,
    message: DiscordMessage,
    name: string,
    duration: number,
  ): DiscordChannel {
    const thread: DiscordChannel = {
      id: message.id,
      type: ChannelKind.PublicThread,
      guild_id: parent.guild_id!,
      name,
      parent_id: parent.id,
      owner_id: this.bot.id,
      last_message_id: null,
      thread_metadata: {
        archived: false,
        auto_archive_duration: duration,
        archive_timestamp: new Date().toISOString(),
        locked: false,
      },
      message_count: 0,
      member_count: 1,
    };
    this.channels.set(thread.id, thread);
    this.gateway.dispatch("THREAD_CREATE", { ...thread, newly_created: true });
    this.emit("threadCreated", thread);
    return thread;
  }

  registerCommands(guildId: string | undefined, body: Array<Record<string, unknown>>): unknown[] {
    const registered = body.map((command) => ({
      id: snowflake(),
      application_id: this.applicationId,
      version: snowflake(),
      type: 1,
      default_member_permissions: null,
      ...command,
      ...(guildId ? { guild_id: guildId } : {}),
    }));
    this.commands.set(guildId ?? "global", registered);
    this.emit("commandsRegistered", { guildId, commands: registered });
    return registered;
  }

  interactionMessage(interaction: EmulatedInteraction, content: string): DiscordMessage {
    return makeMessage({
      channelId: interaction.channelId,
      ...(interaction.guildId ? { guildId: interaction.guildId } : {}),
      author: this.bot,
      content,
      type: MessageKind.ChatInputCommand,
      webhookId: this.applicationId,
      applicationId: this.applicationId,
    });
  }

  // --- internals -----------------------------------------------------------------------------

  private requireChannel(id: string): DiscordChannel {
    const channel = this.channels.get(id);
    if (!channel) throw new Error(`the emulator has no channel ${id}`);
    return channel;
  }

  private dmChannelOf(user: DiscordUser): DiscordChannel {
    const existing = [...this.channels.values()].find(
      (c) => c.type === ChannelKind.DM && c.recipients?.[0]?.id === user.id,
    );
    if (existing) return existing;
    const channel: DiscordChannel = {
      id: snowflake(),
      type: ChannelKind.DM,
      recipients: [user],
      last_message_id: null,
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /** MESSAGE_CREATE as Discord sends it: without the Message Content intent, guild text is blanked. */
  private deliver(channel: DiscordChannel, message: DiscordMessage): void {
    this.messages.set(message.id, message);
    channel.last_message_id = message.id;
    const addressed = message.mentions.some((u) => u.id === this.bot.id) || message.author.id === this.bot.id;
    const hidden = channel.guild_id && !addressed && (this.gateway.intents & MESSAGE_CONTENT_INTENT) === 0;
    this.gateway.dispatch("MESSAGE_CREATE", {
      ...message,
      ...(hidden ? { content: "", embeds: [], attachments: [] } : {}),
      channel_type: channel.type,
      ...(channel.guild_id
        ? { member: { roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 } }
        : {}),
    });
  }

  private guildPayload(): unknown {
    const all = [...this.channels.values()].filter((c) => c.guild_id === this.guildId);
    return {
      id: this.guildId,
      name: "Emulated Guild",
      icon: null,
      owner_id: this.human.id,
      unavailable: false,
      large: false,
      member_count: 3,
      joined_at: new Date().toISOString(),
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      mfa_level: 0,
      nsfw_level: 0,
      premium_tier: 0,
      preferred_locale: "en-US",
      system_channel_id: null,
      features: [],
      channels: all.filter((c) => c.type !== ChannelKind.PublicThread),
      threads: all.filter((c) => c.type === ChannelKind.PublicThread),
      roles: [
        {
          ...this.botRole,
          id: this.guildId,
          name: "@everyone",
          managed: false,
          position: 0,
          tags: undefined,
        },
        this.botRole,
      ],
      members: [
        {
          user: this.bot,
          roles: [this.botRole.id],
          joined_at: new Date().toISOString(),
          deaf: false,
          mute: false,
          flags: 0,
        },
      ],
      emojis: [],
      stickers: [],
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  private nextOf<T>(event: string, seen: T[], predicate: (x: T) => boolean, timeoutMs: number): Promise<T> {
    const already = seen.find(predicate);
    if (already !== undefined) return Promise.resolve(already);
    return waitForEvent<T>(this, event, predicate, timeoutMs);
  }
}
