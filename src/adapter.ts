// The contract between platform adapters and the relay: one normalized inbound message, one place a
// reply goes, and the small interface every platform adapter implements.
import type { Express } from "express";
import type { Logger } from "pino";
import type { Texts } from "./relay/replies.js";

/** A platform module's id (src/platform-module.ts): open, so a new platform needs no core change. */
export type Platform = string;

/**
 * Identifies one conversation: a Slack thread or DM, a Discord thread or DM channel, a Telegram
 * chat or forum topic. The relay keys the assistant session on exactly these fields, so an adapter
 * must produce the same values for the first message and every follow-up.
 */
export interface ConversationRef {
  platform: Platform;
  /** Slack team id, Discord guild id (or "@dm"), "global" where the platform has no workspaces. */
  workspaceId: string;
  channelId: string;
  /** Slack thread_ts, Telegram message_thread_id; absent for a DM or a whole chat. */
  threadId?: string;
  /**
   * The channel a conversation's own channel lives in, where that differs (a Discord thread's parent
   * channel). Policy and routes by channel match it too; it is not part of the conversation's key.
   */
  parentChannelId?: string;
}

/** Where a reply goes. JSON-serializable: it is kept in the store with pending work and sessions. */
export interface ReplyTarget {
  conversation: ConversationRef;
  /** The user's message to quote or reply to, where the platform shows that. */
  replyToMessageId?: string;
  /** Adapter-private routing data (e.g. a Discord interaction token); strings only. */
  extra?: Record<string, string>;
}

export interface AuthorRef {
  id: string;
  /** Display name for logs and merged-message attribution; may be absent. */
  name?: string;
  isBot: boolean;
  /**
   * A cheap digest of the profile the platform sends with every message (Telegram's `from`,
   * Discord's author), so a change is noticed at once; absent where reading a profile costs a call.
   */
  profileFingerprint?: string;
}

export interface InboundMessage {
  conversation: ConversationRef;
  replyTarget: ReplyTarget;
  author: AuthorRef;
  text: string;
  isDirect: boolean;
  /** Mention, reply to the bot, or a command addressed to it. */
  addressesBot: boolean;
  /** Unique per platform and workspace; used to de-duplicate redeliveries. */
  messageId: string;
  /** When the platform says the message was sent (ms since epoch). */
  sentAt: number;
  /** How many files or images came with it; the bridge reads only text, and tells the user so. */
  files?: number;
}

export interface UserProfile {
  userId: string;
  username?: string;
  displayName?: string;
  realName?: string;
  email?: string;
  timeZone?: string;
  language?: string;
  /** Other platform attributes worth keeping on the contact. */
  attributes?: Record<string, string>;
}

export interface SentMessage {
  messageId: string;
}

export interface TypingHandle {
  /** Stops renewing the indicator. Idempotent. */
  stop(): void;
}

export type CommandName = "reset" | "help";

/** What an adapter hands inbound traffic to. Implemented by the relay. */
export interface InboundSink {
  /**
   * Takes a message. Resolves once it is durably accepted (or deliberately ignored), so the adapter
   * may acknowledge the platform after it resolves.
   */
  accept(message: InboundMessage): Promise<AcceptOutcome>;
  /**
   * Runs a bridge command for a platform UI that answers in place (Slack slash command, Discord
   * interaction) and returns the text to show. Plain "/reset" text goes through accept() instead.
   */
  command(name: CommandName, conversation: ConversationRef, author: AuthorRef): Promise<string>;
  /** The texts of the conversation's route, for what an adapter shows by itself (a placeholder). */
  texts?(conversation: ConversationRef): Texts;
}

export type AcceptOutcome =
  | { status: "queued"; position: number }
  | { status: "duplicate" }
  | { status: "ignored"; reason: string }
  | { status: "rejected"; reason: "backlog-full" };

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when not ok. */
  fix?: string;
}

export interface AdapterContext {
  logger: Logger;
}

export interface PlatformAdapter {
  readonly platform: Platform;
  /** Longest Markdown chunk the relay may pass to send(). */
  readonly maxMessageLength: number;
  /**
   * Adds HTTP routes to the bridge's one server, before start(). Leave it out when the adapter has no
   * route: a bridge with none serves its operator endpoints without loading Express.
   */
  mountHttp?(app: Express): void;
  start(sink: InboundSink): Promise<void>;
  /** Stops intake; resolves when the platform connection is closed. */
  stop(): Promise<void>;
  /** Connected and able to receive; drives /readyz. */
  isReady(): boolean;
  /**
   * Posts one chunk of a reply, written in Markdown; the adapter renders its own dialect.
   * Throws DeliveryError: retryable for transport failures and rate limits it could not wait out.
   */
  send(target: ReplyTarget, markdown: string): Promise<SentMessage>;
  /** Shows "typing" (or a status/placeholder) until stop(), renewing as the platform needs. */
  startTyping(target: ReplyTarget): TypingHandle;
  getProfile(message: InboundMessage): Promise<UserProfile | undefined>;
  /** Checks the credentials against the real API for `mygpt-bridge doctor`. */
  doctor?(): Promise<DoctorCheck[]>;
}
