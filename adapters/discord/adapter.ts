// The Discord platform adapter: one discord.js client (gateway + REST) that hands mentions, thread
// follow-ups, DMs and slash commands to the relay, and posts the relay's reply chunks back. The
// gateway never redelivers, so a message the relay could not take is retried in memory (intake.ts).
import { once } from "node:events";
import {
  type APIUser,
  Client,
  type ClientOptions,
  Events,
  GatewayIntentBits,
  type Interaction,
  type Message,
  Partials,
  type RateLimitData,
  REST,
  Routes,
} from "discord.js";
import type { Logger } from "pino";
import type {
  DoctorCheck,
  InboundMessage,
  InboundSink,
  PlatformAdapter,
  ReplyTarget,
  SentMessage,
  TypingHandle,
  UserProfile,
} from "../../src/adapter.js";
import { DEFAULTS } from "../../src/defaults.js";
import { renewingIndicator } from "../../src/kit/index.js";
import { type LeaderLease, sharedStore } from "../../src/leadership.js";
import type { Store } from "../../src/store/types.js";
import { handleCommand, registerCommands } from "./commands.js";
import { DISCORD_API_URL } from "./config.js";
import { Delivery } from "./delivery.js";
import { discordDoctor } from "./doctor.js";
import { gatewayLeader } from "./gateway-leader.js";
import { type ReplyMode, toInbound } from "./inbound.js";
import { type AcceptRetryOptions, DEFAULT_ACCEPT_RETRY, RetryingIntake } from "./intake.js";

export interface DiscordAdapterOptions {
  token: string;
  /** REST root, e.g. https://discord.com/api (DISCORD_API_URL); the gateway URL is discovered from it. */
  apiUrl?: string;
  /** Answer a channel mention in a new thread (default) or as a reply. */
  replyMode?: "thread" | "reply";
  /** Register slash commands in this guild only (instant) instead of globally. */
  devGuildId?: string;
  logger: Logger;
  /** A 429 asking to wait longer than this fails the send (retryable) instead of blocking. */
  maxRateLimitWaitMs?: number;
  /** How a message the relay could not take is retried (default: from 250 ms, for up to 30 s). */
  acceptRetry?: AcceptRetryOptions;
  /** The bridge's store: when shared (not memory://), the gateway connects on the replica holding its lock. */
  store?: Store;
  /** How long the gateway lock outlives a crashed holder (PROCESS_LEASE_MS). */
  leaseMs?: number;
}

export const DISCORD_MAX_MESSAGE_LENGTH = 2000;
/** Discord shows "typing" for about 10 s; renewing at 8 s keeps it on without gaps. */
export const TYPING_RENEW_MS = 8_000;
const DEFAULT_MAX_RATE_LIMIT_WAIT_MS = 30_000;

export class DiscordAdapter implements PlatformAdapter {
  readonly platform = "discord" as const;
  readonly maxMessageLength = DISCORD_MAX_MESSAGE_LENGTH;
  private readonly apiUrl: string;
  private readonly replyMode: ReplyMode;
  private readonly logger: Logger;
  private client: Client | undefined;
  private delivery: Delivery | undefined;
  private intake: RetryingIntake | undefined;
  private connected = false;
  private warnedAboutContent = false;
  /** REST for replies and typing, on every replica (a standby answers without a gateway session). */
  private rest: REST | undefined;
  private leader: LeaderLease | undefined;

  constructor(private readonly options: DiscordAdapterOptions) {
    this.apiUrl = options.apiUrl ?? DISCORD_API_URL;
    this.replyMode = options.replyMode ?? "thread";
    this.logger = options.logger.child({ platform: "discord" });
  }

  async start(sink: InboundSink): Promise<void> {
    const intake = new RetryingIntake(sink, this.logger, this.options.acceptRetry ?? DEFAULT_ACCEPT_RETRY);
    this.intake = intake;
    const store = this.options.store;
    if (!sharedStore(store)) {
      await this.connect(sink, intake);
      return;
    }
    const rest = new REST({ api: this.apiUrl, rejectOnRateLimit: this.rateLimitRejection() });
    rest.setToken(this.options.token);
    this.rest = rest;
    this.delivery = new Delivery(rest, [this.options.token]);
    const application = (await rest.get(Routes.currentApplication())) as { id: string };
    this.leader = gatewayLeader({
      store,
      applicationId: application.id,
      logger: this.logger,
      connect: () => this.connect(sink, intake),
      disconnect: () => this.disconnect(),
      ...(this.options.leaseMs !== undefined && { leaseMs: this.options.leaseMs }),
    });
    await this.leader.start();
  }

  /** A 429 asking to wait longer than the configured bound fails the call instead of blocking. */
  private rateLimitRejection(): (limit: RateLimitData) => boolean {
    const maxWait = this.options.maxRateLimitWaitMs ?? DEFAULT_MAX_RATE_LIMIT_WAIT_MS;
    return (limit: RateLimitData) => limit.retryAfter > maxWait;
  }

  /** Opens the gateway session (and this replica's REST when it has none of its own). */
  private async connect(sink: InboundSink, intake: RetryingIntake): Promise<void> {
    const clientOptions: ClientOptions = {
      intents: [
        GatewayIntentBits.Guilds,
        GatewayIntentBits.GuildMessages,
        GatewayIntentBits.MessageContent,
        GatewayIntentBits.DirectMessages,
      ],
      partials: [Partials.Channel],
      rest: { api: this.apiUrl, rejectOnRateLimit: this.rateLimitRejection() },
    };
    const client = new Client(clientOptions);
    this.client = client;
    if (!this.rest) this.delivery = new Delivery(client.rest, [this.options.token]);
    this.watchConnection(client);
    client.on(Events.MessageCreate, (message) => this.onMessage(message, intake));
    client.on(Events.InteractionCreate, (interaction) => void this.onInteraction(interaction, sink));
    client.on(Events.ThreadCreate, (thread) => this.delivery?.noteThread(thread.id));

    const ready = once(client, Events.ClientReady);
    try {
      await client.login(this.options.token);
      await ready;
    } catch (error) {
      await client.destroy();
      this.client = undefined;
      throw new Error(`Discord login failed: ${(error as Error).message}`);
    }
    this.connected = true;
    const appId = client.application?.id ?? client.user?.id;
    this.logger.info({ bot: client.user?.tag, replyMode: this.replyMode }, "discord connected");
    if (appId) {
      await registerCommands(client.rest, appId, this.options.devGuildId).catch((error: unknown) =>
        this.logger.warn(
          { err: error },
          "could not register Discord slash commands; invite the bot with the applications.commands scope",
        ),
      );
    }
  }

  async stop(): Promise<void> {
    await this.leader?.stop();
    await this.disconnect();
    await this.intake?.stop();
  }

  private async disconnect(): Promise<void> {
    this.connected = false;
    const client = this.client;
    this.client = undefined;
    await client?.destroy();
  }

  /** Linked (or standing by for another replica's link), and no message waiting for the relay. */
  isReady(): boolean {
    const linked = this.connected || (this.leader !== undefined && !this.leader.isLeader());
    return linked && !this.intake?.hasWaiting();
  }

  async send(target: ReplyTarget, markdown: string): Promise<SentMessage> {
    return this.requireDelivery().send(target, markdown);
  }

  startTyping(target: ReplyTarget): TypingHandle {
    const rest = this.rest ?? this.client?.rest;
    const channelId = this.delivery?.typingChannel(target);
    if (!rest || !channelId) return { stop: () => undefined };
    return renewingIndicator((signal) => rest.post(Routes.channelTyping(channelId), { signal }), {
      everyMs: TYPING_RENEW_MS,
      firstAfterMs: DEFAULTS.typingDelayMs,
      onError: (error) => this.logger.debug({ err: error, channelId }, "discord typing failed"),
    });
  }

  async getProfile(message: InboundMessage): Promise<UserProfile | undefined> {
    try {
      const user = this.client
        ? await this.client.users.fetch(message.author.id)
        : await this.standbyUser(message.author.id);
      if (!user) return undefined;
      return {
        userId: user.id,
        username: user.username,
        displayName: user.globalName ?? user.username,
      };
    } catch (error) {
      this.logger.debug({ err: error, userId: message.author.id }, "discord profile lookup failed");
      return undefined;
    }
  }

  /** A user looked up over REST, for a replica standing by without a gateway client. */
  private async standbyUser(id: string) {
    if (!this.rest) return undefined;
    const user = (await this.rest.get(Routes.user(id))) as APIUser;
    return { id: user.id, username: user.username, globalName: user.global_name };
  }

  doctor(): Promise<DoctorCheck[]> {
    return discordDoctor(this.options.token, this.apiUrl);
  }

  private requireDelivery(): Delivery {
    if (!this.delivery) throw new Error("Discord adapter is not started");
    return this.delivery;
  }

  /** Readiness follows the gateway link: false from a drop until discord.js has resumed. */
  private watchConnection(client: Client): void {
    const up = () => {
      if (this.client === client && client.isReady()) this.connected = true;
    };
    const down = () => {
      if (this.client === client) this.connected = false;
    };
    client.on(Events.ShardReconnecting, down);
    client.on(Events.ShardDisconnect, down);
    client.on(Events.ShardResume, up);
    client.on(Events.ShardReady, up);
    client.on(Events.ShardError, (error) => this.logger.warn({ err: error }, "discord gateway error"));
  }

  private onMessage(message: Message, intake: RetryingIntake): void {
    const botId = this.client?.user?.id;
    if (!botId) return;
    const inbound = toInbound(message, { botId, replyMode: this.replyMode });
    if (!inbound) return;
    if (!inbound.isDirect && message.content === "" && message.attachments.size === 0)
      this.warnEmptyContent();
    intake.take(inbound);
  }

  private async onInteraction(interaction: Interaction, sink: InboundSink): Promise<void> {
    if (!interaction.isChatInputCommand()) return;
    await handleCommand(interaction, sink, this.logger);
  }

  private warnEmptyContent(): void {
    if (this.warnedAboutContent) return;
    this.warnedAboutContent = true;
    this.logger.warn(
      "a Discord message arrived without text: switch on Message Content Intent (Developer Portal -> Bot -> Privileged Gateway Intents)",
    );
  }
}
