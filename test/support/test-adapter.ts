// An in-test platform adapter with many conversations: a test speaks as users through it and
// watches what the bridge posts back. It runs inside the real relay, like any adapter, and is a
// platform of its own ("test"): testPlatform is its module, given to the composition root the way
// a new platform would be, with no change to the core.
import { EventEmitter } from "node:events";
import * as v from "valibot";
import type {
  AcceptOutcome,
  ConversationRef,
  InboundMessage,
  InboundSink,
  PlatformAdapter,
  ReplyTarget,
  SentMessage,
  TypingHandle,
  UserProfile,
} from "../../src/adapter.js";
import { intInRange } from "../../src/config/env.js";
import { DeliveryError } from "../../src/errors.js";
import { definePlatform } from "../../src/platform-module.js";

export interface Posted {
  conversation: ConversationRef;
  text: string;
  messageId: string;
}

export interface Say {
  channel: string;
  thread?: string;
  user?: string;
  userName?: string;
  text: string;
  isBot?: boolean;
  isDirect?: boolean;
  addressesBot?: boolean;
  messageId?: string;
}

export const TEST_PLATFORM = "test";

/** The test platform's module: on when TEST_PLATFORM_MAX_MESSAGE_LENGTH is set. */
export const testPlatform = definePlatform<{ maxMessageLength: number }>({
  id: TEST_PLATFORM,
  name: "the test platform",
  enabledBy: { variable: "TEST_PLATFORM_MAX_MESSAGE_LENGTH", whereToGet: "set it in the test" },
  env: {
    TEST_PLATFORM_MAX_MESSAGE_LENGTH: {
      schema: v.optional(intInRange(1, 100_000)),
      meaning: "Enables the test platform, with this longest reply chunk.",
    },
  },
  settings: ({ env }) => {
    const max = env.TEST_PLATFORM_MAX_MESSAGE_LENGTH as number | undefined;
    return max === undefined ? undefined : { maxMessageLength: max };
  },
  createAdapter: async (settings) => new TestAdapter(settings.maxMessageLength),
  /** Its user ids are local to one test bridge. */
  userScope: () => "local",
});

export class TestAdapter extends EventEmitter implements PlatformAdapter {
  readonly platform = TEST_PLATFORM;
  readonly posted: Posted[] = [];
  typingShown = 0;
  /** Every call of send(), failed ones included. */
  sendAttempts = 0;
  private sink?: InboundSink;
  private ready = false;
  private counter = 0;
  private failures: Array<{ retryable: boolean; retryAfterMs: number }> = [];

  /** How long each send takes (a slow platform, or a long reply posted under a per-chat rate limit). */
  sendDelayMs = 0;
  /** When set, start() connects only once it resolves (a platform slow to answer at start-up). */
  connecting?: Promise<void>;

  constructor(readonly maxMessageLength = 4000) {
    super();
  }

  async start(sink: InboundSink): Promise<void> {
    await this.connecting;
    this.sink = sink;
    this.ready = true;
  }
  async stop(): Promise<void> {
    this.ready = false;
  }
  isReady(): boolean {
    return this.ready;
  }

  say(s: Say): Promise<AcceptOutcome> {
    if (!this.sink) throw new Error("adapter not started");
    const conversation: ConversationRef = {
      platform: TEST_PLATFORM,
      workspaceId: "W1",
      channelId: s.channel,
      ...(s.thread ? { threadId: s.thread } : {}),
    };
    const message: InboundMessage = {
      conversation,
      replyTarget: { conversation },
      author: { id: s.user ?? "U1", name: s.userName, isBot: s.isBot ?? false },
      text: s.text,
      isDirect: s.isDirect ?? true,
      addressesBot: s.addressesBot ?? true,
      messageId: s.messageId ?? `m${++this.counter}-${Math.random().toString(36).slice(2, 8)}`,
      sentAt: Date.now(),
    };
    return this.sink.accept(message);
  }

  /** Sends work again. */
  clearFailures(): void {
    this.failures = [];
  }

  /**
   * The next `count` sends fail; retryable ones model a reset connection (to be tried again after
   * `retryAfterMs`), others a refusal.
   */
  failNextSends(count: number, retryable: boolean, retryAfterMs = 1): void {
    for (let i = 0; i < count; i++) this.failures.push({ retryable, retryAfterMs });
  }

  async send(target: ReplyTarget, markdown: string): Promise<SentMessage> {
    this.sendAttempts++;
    if (this.sendDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.sendDelayMs));
    const failure = this.failures.shift();
    if (failure) {
      throw new DeliveryError(
        failure.retryable ? "connection reset" : "channel not found",
        failure.retryable,
        { retryAfterMs: failure.retryAfterMs },
      );
    }
    const posted = { conversation: target.conversation, text: markdown, messageId: `out${++this.counter}` };
    this.posted.push(posted);
    this.emit("posted", posted);
    return { messageId: posted.messageId };
  }

  startTyping(_target: ReplyTarget): TypingHandle {
    this.typingShown++;
    this.emit("typing");
    return { stop() {} };
  }

  async getProfile(message: InboundMessage): Promise<UserProfile> {
    return {
      userId: message.author.id,
      displayName: message.author.name,
      email: `${message.author.id.toLowerCase()}@example.com`,
    };
  }

  /** What was posted in one channel (and thread), in order. */
  postedIn(channel: string, thread?: string): string[] {
    return this.posted
      .filter((p) => p.conversation.channelId === channel && p.conversation.threadId === thread)
      .map((p) => p.text);
  }

  /** Resolves once `count` posts in total match the predicate (already or later). */
  waitForPosts(
    count: number,
    predicate: (p: Posted) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<Posted[]> {
    const matching = () => this.posted.filter(predicate);
    if (matching().length >= count) return Promise.resolve(matching());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off("posted", listener);
        reject(
          new Error(
            `timed out: ${matching().length} of ${count} posts arrived:\n${this.posted.map((p) => p.text).join("\n")}`,
          ),
        );
      }, timeoutMs);
      const listener = () => {
        if (matching().length < count) return;
        clearTimeout(timer);
        this.off("posted", listener);
        resolve(matching());
      };
      this.on("posted", listener);
    });
  }
}
