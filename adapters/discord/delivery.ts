// Posting one reply chunk to Discord over discord.js's REST client (which waits out 429s itself):
// into a DM or thread, as a reply, into a thread it starts from the user's message, or through a
// slash-command interaction. Failures become DeliveryError, retryable or not.
import { DiscordAPIError, HTTPError, RateLimitError, type REST, Routes } from "discord.js";
import type { ReplyTarget, SentMessage } from "../../src/adapter.js";
import { BoundedSet } from "../../src/bounded-set.js";
import { DeliveryError } from "../../src/errors.js";
import { isRetryableStatus, Redactor, transportCode, transportReason } from "../../src/kit/index.js";
import { TargetKind } from "./inbound.js";

/** The assistant's text must never ping anyone: no @everyone/@here, roles, users or the replied user. */
export const NO_PINGS = { parse: [], replied_user: false } as const;

const THREAD_ARCHIVE_MINUTES = 4320;
const ERROR_THREAD_EXISTS = 160004;
const ERROR_UNKNOWN_WEBHOOK = 10015;
const ERROR_INVALID_WEBHOOK_TOKEN = 50027;

interface PostedMessage {
  id: string;
}

/** Discord interaction tokens live 15 minutes; remembering one longer is pointless. */
const INTERACTION_TOKEN_MS = 15 * 60_000;

export interface DeliveryLimits {
  /** Threads remembered as existing (a forgotten one costs one "already exists" call). */
  maxKnownThreads?: number;
  maxAnsweredInteractions?: number;
  now?: () => number;
}

export class Delivery {
  /** Interaction tokens whose deferred "thinking" message already holds the first chunk. */
  readonly answeredInteractions: BoundedSet;
  /** Threads this process has seen exist, so only the first chunk tries to create one. */
  readonly knownThreads: BoundedSet;

  constructor(
    private readonly rest: REST,
    private readonly secrets: string[],
    limits: DeliveryLimits = {},
  ) {
    this.answeredInteractions = new BoundedSet({
      max: limits.maxAnsweredInteractions ?? 10_000,
      maxAgeMs: INTERACTION_TOKEN_MS,
      ...(limits.now && { now: limits.now }),
    });
    this.knownThreads = new BoundedSet({ max: limits.maxKnownThreads ?? 50_000 });
  }

  noteThread(threadId: string): void {
    this.knownThreads.add(threadId);
  }

  async send(target: ReplyTarget, content: string): Promise<SentMessage> {
    try {
      const posted = await this.post(target, content);
      return { messageId: posted.id };
    } catch (error) {
      throw toDeliveryError(error, this.secrets);
    }
  }

  /** The channel a typing indicator belongs in, or undefined where Discord shows "thinking" itself. */
  typingChannel(target: ReplyTarget): string | undefined {
    const extra = target.extra ?? {};
    if (extra.kind === TargetKind.interaction) return undefined;
    const channelId = target.conversation.channelId;
    if (extra.kind === TargetKind.threadStart && !this.knownThreads.has(channelId))
      return extra.parentChannelId;
    return channelId;
  }

  private async post(target: ReplyTarget, content: string): Promise<PostedMessage> {
    const extra = target.extra ?? {};
    const channelId = target.conversation.channelId;
    if (extra.kind === TargetKind.interaction && extra.interactionToken && extra.applicationId) {
      const viaInteraction = await this.postToInteraction(
        extra.applicationId,
        extra.interactionToken,
        content,
      );
      if (viaInteraction) return viaInteraction;
    }
    if (extra.kind === TargetKind.threadStart && extra.parentChannelId) {
      await this.ensureThread(extra.parentChannelId, channelId, extra.threadName ?? "Conversation");
    }
    const reference =
      extra.kind === TargetKind.reply && target.replyToMessageId
        ? { message_reference: { message_id: target.replyToMessageId, fail_if_not_exists: false } }
        : {};
    return (await this.rest.post(Routes.channelMessages(channelId), {
      body: { content, allowed_mentions: NO_PINGS, ...reference },
    })) as PostedMessage;
  }

  /**
   * First chunk: replaces the deferred "thinking" reply; later chunks: follow-ups. Returns undefined
   * when the interaction token has expired (15 minutes), so the caller posts in the channel instead.
   */
  private async postToInteraction(
    appId: string,
    token: string,
    content: string,
  ): Promise<PostedMessage | undefined> {
    const body = { content, allowed_mentions: NO_PINGS };
    try {
      if (!this.answeredInteractions.has(token)) {
        const edited = (await this.rest.patch(Routes.webhookMessage(appId, token, "@original"), {
          body,
          auth: false,
        })) as PostedMessage;
        this.answeredInteractions.add(token);
        return edited;
      }
      return (await this.rest.post(Routes.webhook(appId, token), { body, auth: false })) as PostedMessage;
    } catch (error) {
      if (
        error instanceof DiscordAPIError &&
        (error.code === ERROR_INVALID_WEBHOOK_TOKEN || error.code === ERROR_UNKNOWN_WEBHOOK)
      ) {
        return undefined;
      }
      throw error;
    }
  }

  private async ensureThread(parentChannelId: string, threadId: string, name: string): Promise<void> {
    if (this.knownThreads.has(threadId)) return;
    try {
      await this.rest.post(Routes.threads(parentChannelId, threadId), {
        body: { name, auto_archive_duration: THREAD_ARCHIVE_MINUTES },
      });
    } catch (error) {
      if (!(error instanceof DiscordAPIError && error.code === ERROR_THREAD_EXISTS)) throw error;
    }
    this.knownThreads.add(threadId);
  }
}

function scrub(text: string, secrets: string[]): string {
  return new Redactor(secrets).text(text);
}

/** Maps a discord.js failure to DeliveryError; the message never carries a token or webhook URL. */
export function toDeliveryError(error: unknown, secrets: string[] = []): DeliveryError {
  if (error instanceof DeliveryError) return error;
  if (error instanceof RateLimitError) {
    return new DeliveryError(`Discord rate limit: retry in ${Math.ceil(error.retryAfter / 1000)} s`, true, {
      retryAfterMs: error.retryAfter,
      cause: safeCause(error, "RATE_LIMITED", secrets),
    });
  }
  if (error instanceof DiscordAPIError) {
    const retryable = isRetryableStatus(error.status);
    const text = `Discord rejected the message: ${error.message.split("\n")[0]} (code ${error.code}, HTTP ${error.status})`;
    return new DeliveryError(scrub(text, secrets), retryable, {
      cause: safeCause(error, error.code, secrets),
    });
  }
  if (error instanceof HTTPError) {
    return new DeliveryError(`Discord is unavailable (HTTP ${error.status})`, true, {
      cause: safeCause(error, error.status, secrets),
    });
  }
  return new DeliveryError(scrub(`Could not reach Discord: ${transportReason(error)}`, secrets), true, {
    cause: safeCause(error, transportCode(error), secrets),
  });
}

/** A copy of the error without the request URL (interaction routes carry a token in it). */
function safeCause(error: unknown, code: unknown, secrets: string[]): Error {
  return new Redactor(secrets).error(error, code);
}
