// The contract every platform adapter passes, run by each adapter's own test file against its
// platform emulator: what the relay relies on, checked the same way for Slack, Discord, Telegram
// and the console.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type {
  AcceptOutcome,
  AuthorRef,
  CommandName,
  ConversationRef,
  InboundMessage,
  InboundSink,
  PlatformAdapter,
} from "../../src/adapter.js";

/** What an adapter's test provides: the adapter wired to its emulator, and a user's hands on it. */
export interface AdapterHarness {
  adapter: PlatformAdapter;
  /** A user writes to the bot directly (DM / private chat). Resolves once the emulator has it. */
  sendDirect(text: string): Promise<void>;
  /** A user mentions the bot in a shared channel/group. */
  sendMention(text: string): Promise<void>;
  /** Another bot writes in a DM or channel the adapter sees (null if the platform cannot show it). */
  sendFromOtherBot: ((text: string) => Promise<void>) | null;
  /**
   * Resolves with a bot message the emulator recorded whose text contains `needle`: one already
   * recorded (the suite calls this after send() resolves) or the next one.
   */
  waitForBotMessage(needle: string): Promise<{ text: string; conversation: Partial<ConversationRef> }>;
  /** Resolves once the emulator has recorded a typing/status indicator (or placeholder), already or next. */
  waitForTyping(): Promise<void>;
  close(): Promise<void>;
}

export class RecordingSink implements InboundSink {
  readonly messages: InboundMessage[] = [];
  readonly commands: Array<{ name: CommandName; conversation: ConversationRef; author: AuthorRef }> = [];
  private waiters: Array<{
    predicate: (m: InboundMessage) => boolean;
    resolve: (m: InboundMessage) => void;
  }> = [];

  async accept(message: InboundMessage): Promise<AcceptOutcome> {
    this.messages.push(message);
    for (const waiter of [...this.waiters]) {
      if (waiter.predicate(message)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
    return { status: "queued", position: 1 };
  }

  async command(name: CommandName, conversation: ConversationRef, author: AuthorRef): Promise<string> {
    this.commands.push({ name, conversation, author });
    return name === "help" ? "help text" : "Started a new conversation.";
  }

  next(predicate: (m: InboundMessage) => boolean, timeoutMs = 10_000): Promise<InboundMessage> {
    const already = this.messages.find(predicate);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("adapter delivered no matching message")), timeoutMs);
      this.waiters.push({
        predicate,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }
}

export interface ContractOptions {
  /** The platform has channels/groups shared with other people (the console does not). */
  sharedChannels?: boolean;
}

export function runAdapterContract(
  name: string,
  makeHarness: () => Promise<AdapterHarness>,
  { sharedChannels = true }: ContractOptions = {},
): void {
  describe(`${name} adapter meets the adapter contract`, () => {
    let harness: AdapterHarness;
    let sink: RecordingSink;

    beforeEach(async () => {
      harness = await makeHarness();
      sink = new RecordingSink();
      await harness.adapter.start(sink);
    });

    afterEach(async () => {
      await harness.adapter.stop();
      await harness.close();
    });

    it("is ready once started and not after stop", async () => {
      expect(harness.adapter.isReady()).toBe(true);
      await harness.adapter.stop();
      expect(harness.adapter.isReady()).toBe(false);
    });

    it("hands a direct message to the relay as a direct message from a human", async () => {
      await harness.sendDirect("hello from a DM");
      const msg = await sink.next((m) => m.text.includes("hello from a DM"));
      expect(msg.isDirect).toBe(true);
      expect(msg.author.isBot).toBe(false);
      expect(msg.author.id).not.toBe("");
      expect(msg.messageId).not.toBe("");
      expect(msg.conversation.platform).toBe(harness.adapter.platform);
      expect(msg.replyTarget.conversation).toEqual(msg.conversation);
      expect(msg.sentAt).toBeGreaterThan(0);
    });

    it("keeps two messages of one DM in the same conversation", async () => {
      await harness.sendDirect("first in DM");
      const first = await sink.next((m) => m.text.includes("first in DM"));
      await harness.sendDirect("second in DM");
      const second = await sink.next((m) => m.text.includes("second in DM"));
      expect(second.conversation).toEqual(first.conversation);
      expect(second.messageId).not.toBe(first.messageId);
    });

    // Registered only where shared channels exist: a terminal has no channel to mention the bot in.
    it.runIf(sharedChannels)(
      "marks a mention in a shared channel as addressed to the bot, not direct",
      async () => {
        await harness.sendMention("what is the weather");
        const msg = await sink.next((m) => m.text.includes("what is the weather"));
        expect(msg.isDirect).toBe(false);
        expect(msg.addressesBot).toBe(true);
      },
    );

    it("never presents another bot's message as a human's", async () => {
      if (!harness.sendFromOtherBot) return;
      await harness.sendFromOtherBot("beep from a bot");
      await harness.sendDirect("human after bot");
      await sink.next((m) => m.text.includes("human after bot"));
      const fromBot = sink.messages.filter((m) => m.text.includes("beep from a bot"));
      for (const m of fromBot) expect(m.author.isBot).toBe(true);
    });

    it("posts a reply where the message came from", async () => {
      await harness.sendDirect("reply to me");
      const msg = await sink.next((m) => m.text.includes("reply to me"));
      const sent = await harness.adapter.send(msg.replyTarget, "Here is **your** answer");
      expect(sent.messageId).not.toBe("");
      const seen = await harness.waitForBotMessage("your");
      expect(seen.conversation.channelId ?? msg.conversation.channelId).toBe(msg.conversation.channelId);
    });

    it("accepts a reply chunk of exactly its maximum length", async () => {
      await harness.sendDirect("long one please");
      const msg = await sink.next((m) => m.text.includes("long one please"));
      const chunk = `${"word ".repeat(Math.floor(harness.adapter.maxMessageLength / 5) - 1)}end.`.slice(
        0,
        harness.adapter.maxMessageLength,
      );
      await harness.adapter.send(msg.replyTarget, chunk);
      await harness.waitForBotMessage("end.");
    });

    it("shows a typing indicator until told to stop", async () => {
      await harness.sendDirect("think about it");
      const msg = await sink.next((m) => m.text.includes("think about it"));
      const typing = harness.adapter.startTyping(msg.replyTarget);
      await harness.waitForTyping();
      typing.stop();
      typing.stop();
    });

    it("returns the author's profile", async () => {
      await harness.sendDirect("who am I");
      const msg = await sink.next((m) => m.text.includes("who am I"));
      const profile = await harness.adapter.getProfile(msg);
      expect(profile?.userId).toBe(msg.author.id);
    });
  });
}
