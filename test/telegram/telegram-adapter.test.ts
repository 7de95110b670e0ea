// What Telegram users and operators notice, checked with the real grammY bot against the Bot API
// emulator, in long-polling and webhook mode alike.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConfigError, DeliveryError } from "../../src/errors.js";
import { createLogger } from "../../src/logger.js";
import { RecordingSink } from "../support/adapter-contract.js";
import { waitForEvent } from "../support/events.js";
import { botMessage, chatAction, type Mode, setupTelegram, type TelegramSetup } from "./harness.js";

describe.each<Mode>(["polling", "webhook"])("Telegram adapter (%s)", (mode) => {
  let t: TelegramSetup;
  let sink: RecordingSink;

  beforeEach(async () => {
    t = await setupTelegram(mode);
    sink = new RecordingSink();
    await t.adapter.start(sink);
  });

  afterEach(async () => {
    vi.useRealTimers();
    await t.close();
  });

  const bot = () => `@${t.emulator.bot.username}`;

  it("passes a private message on as a direct message of that chat", async () => {
    t.emulator.userSays(t.dm, t.user, "hello there");
    const msg = await sink.next((m) => m.text === "hello there");
    expect(msg.isDirect).toBe(true);
    expect(msg.conversation).toEqual({
      platform: "telegram",
      workspaceId: "global",
      channelId: String(t.dm.id),
    });
    expect(msg.author).toMatchObject({ id: String(t.user.id), name: "Ada Lovelace", isBot: false });
  });

  it("ignores group chatter that does not address the bot", async () => {
    t.emulator.userSays(t.group, t.user, "just chatting with friends");
    t.emulator.userSays(t.group, t.user, "/help@some_other_bot");
    t.emulator.userSays(t.group, t.user, `${bot()} marker`);
    await sink.next((m) => m.text === "marker");
    expect(sink.messages.map((m) => m.text)).toEqual(["marker"]);
  });

  it("passes a group @mention with the mention taken out", async () => {
    t.emulator.userSays(t.group, t.user, `${bot()} what is 2+2?`);
    const msg = await sink.next((m) => m.text.includes("2+2"));
    expect(msg.text).toBe("what is 2+2?");
    expect(msg.isDirect).toBe(false);
    expect(msg.addressesBot).toBe(true);
    expect(msg.conversation.channelId).toBe(String(t.group.id));
    expect(msg.conversation.threadId).toBeUndefined();
  });

  it("passes a reply to one of the bot's messages without a mention", async () => {
    t.emulator.userSays(t.group, t.user, `${bot()} start`);
    const first = await sink.next((m) => m.text === "start");
    const sent = await t.adapter.send(first.replyTarget, "Hi, ask me anything");
    t.emulator.userSays(t.group, t.user, "follow-up without mention", { replyTo: Number(sent.messageId) });
    const followUp = await sink.next((m) => m.text === "follow-up without mention");
    expect(followUp.addressesBot).toBe(true);
    expect(followUp.conversation).toEqual(first.conversation);
  });

  it("passes a text_mention of the bot and a photo caption that mentions it", async () => {
    const me = { id: t.emulator.bot.id, is_bot: true, first_name: t.emulator.bot.first_name };
    t.emulator.userSays(t.group, t.user, "Bridge please help", {
      entities: [{ type: "text_mention", offset: 0, length: 6, user: me }],
    });
    const byName = await sink.next((m) => m.text.includes("please help"));
    expect(byName.text).toBe("please help");
    t.emulator.userSendsMedia(t.group, t.user, "photo", { caption: `${bot()} what is this?` });
    const caption = await sink.next((m) => m.text === "what is this?");
    expect(caption.addressesBot).toBe(true);
  });

  it("passes a sticker sent in reply to the bot as a message with a file and no text, quoting it", async () => {
    t.emulator.userSays(t.group, t.user, `${bot()} hi`);
    const first = await sink.next((m) => m.text === "hi");
    const sent = await t.adapter.send(first.replyTarget, "Hello!");
    const sticker = t.emulator.userSendsMedia(t.group, t.user, "sticker", {
      replyTo: Number(sent.messageId),
    });
    const msg = await sink.next((m) => m.files === 1);
    expect(msg).toMatchObject({ text: "", addressesBot: true });
    expect(msg.replyTarget.replyToMessageId).toBe(String(sticker.message_id));
  });

  it("passes /command@botname in a group as the bare command", async () => {
    t.emulator.userSays(t.group, t.user, `/reset@${t.emulator.bot.username}`);
    const msg = await sink.next((m) => m.text.startsWith("/reset"));
    expect(msg.text).toBe("/reset");
    expect(msg.addressesBot).toBe(true);
  });

  it("passes the bot's own commands sent bare in a group, as the command menu sends them", async () => {
    t.emulator.userSays(t.group, t.user, "/help");
    t.emulator.userSays(t.group, t.user, "/weather");
    t.emulator.userSays(t.group, t.user, "what does /reset do");
    t.emulator.userSays(t.group, t.user, "/Start");
    t.emulator.userSays(t.group, t.user, "/reset");
    await sink.next((m) => m.text === "/reset");
    expect(sink.messages.map((m) => m.text)).toEqual(["/help", "/Start", "/reset"]);
    expect(sink.messages.every((m) => m.addressesBot && !m.isDirect)).toBe(true);
  });

  it("treats a forum topic as its own conversation and replies into that topic", async () => {
    const topicA = t.emulator.createTopic(t.forum, t.user, "Billing");
    const topicB = t.emulator.createTopic(t.forum, t.user, "Support");
    t.emulator.userSays(t.forum, t.user, `${bot()} in billing`, { threadId: topicA });
    t.emulator.userSays(t.forum, t.user, `${bot()} in support`, { threadId: topicB });
    const a = await sink.next((m) => m.text === "in billing");
    const b = await sink.next((m) => m.text === "in support");
    expect(a.conversation.threadId).toBe(String(topicA));
    expect(b.conversation.threadId).toBe(String(topicB));
    await t.adapter.send(a.replyTarget, "billing answer");
    const posted = await botMessage(t.emulator, "billing answer");
    expect(posted.chatId).toBe(t.forum.id);
    expect(posted.threadId).toBe(topicA);
  });

  it("quotes the user's message when replying in a group, not in a private chat", async () => {
    const asked = t.emulator.userSays(t.group, t.user, `${bot()} quote me`);
    const msg = await sink.next((m) => m.text === "quote me");
    await t.adapter.send(msg.replyTarget, "group answer");
    expect((await botMessage(t.emulator, "group answer")).replyToMessageId).toBe(asked.message_id);

    t.emulator.userSays(t.dm, t.user, "private question");
    const dm = await sink.next((m) => m.text === "private question");
    await t.adapter.send(dm.replyTarget, "private answer");
    expect((await botMessage(t.emulator, "private answer")).replyToMessageId).toBeUndefined();
  });

  it("renders Markdown as Telegram HTML with escaping", async () => {
    t.emulator.userSays(t.dm, t.user, "format please");
    const msg = await sink.next((m) => m.text === "format please");
    await t.adapter.send(
      msg.replyTarget,
      "**Bold** and `a<b>` & [site](https://example.com/?a=1&b=2) for x < y",
    );
    const posted = await botMessage(t.emulator, "Bold");
    expect(posted.parseMode).toBe("HTML");
    expect(posted.text).toBe("Bold and a<b> & site for x < y");
    expect(posted.entities).toEqual([
      { type: "bold", offset: 0, length: 4 },
      { type: "code", offset: 9, length: 4 },
      { type: "text_link", offset: 16, length: 4, url: "https://example.com/?a=1&b=2" },
    ]);
  });

  it("resends as plain text when Telegram cannot parse the entities, and the user gets the reply", async () => {
    t.emulator.userSays(t.dm, t.user, "tricky");
    const msg = await sink.next((m) => m.text === "tricky");
    t.emulator.failNext(
      "sendMessage",
      400,
      'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 3',
    );
    const sent = await t.adapter.send(msg.replyTarget, "**still** delivered");
    const posted = await botMessage(t.emulator, "delivered");
    expect(posted.text).toBe("still delivered");
    expect(posted.parseMode).toBeUndefined();
    expect(sent.messageId).toBe(String(posted.messageId));
  });

  it("waits out a 429 retry_after and still delivers the reply", async () => {
    t.emulator.userSays(t.dm, t.user, "busy time");
    const msg = await sink.next((m) => m.text === "busy time");
    t.emulator.floodNext("sendMessage", 1);
    await t.adapter.send(msg.replyTarget, "after the flood");
    await botMessage(t.emulator, "after the flood");
    expect(t.emulator.calls.filter((c) => c.method === "sendMessage").map((c) => c.status)).toEqual([
      429, 200,
    ]);
  });

  it("gives up on a flood wait beyond the cap with a retryable error that says when to retry", async () => {
    t.emulator.userSays(t.dm, t.user, "very busy");
    const msg = await sink.next((m) => m.text === "very busy");
    t.emulator.floodNext("sendMessage", 600);
    const error = await t.adapter.send(msg.replyTarget, "too soon").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).retryable).toBe(true);
    expect((error as DeliveryError).options.retryAfterMs).toBe(600_000);
  });

  it("reports a user who blocked the bot as a delivery that must not be retried", async () => {
    t.emulator.userSays(t.dm, t.user, "bye");
    const msg = await sink.next((m) => m.text === "bye");
    t.emulator.blockBot(t.user);
    const error = await t.adapter.send(msg.replyTarget, "are you there?").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).retryable).toBe(false);
    expect((error as DeliveryError).message).toContain("bot was blocked by the user");
    expect((error as DeliveryError).message).not.toContain(t.emulator.token);
  });

  it("reports a chat that no longer exists as a delivery that must not be retried", async () => {
    const target = {
      conversation: { platform: "telegram" as const, workspaceId: "global", channelId: "-987654" },
    };
    const error = await t.adapter.send(target, "hello?").catch((e: unknown) => e);
    expect((error as DeliveryError).retryable).toBe(false);
    expect((error as DeliveryError).message).toContain("chat not found");
  });

  it("reports a dropped connection as retryable, without the token anywhere in the error", async () => {
    t.emulator.userSays(t.dm, t.user, "flaky network");
    const msg = await sink.next((m) => m.text === "flaky network");
    t.emulator.dropNextConnection("sendMessage");
    const error = (await t.adapter.send(msg.replyTarget, "lost").catch((e: unknown) => e)) as DeliveryError;
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error.retryable).toBe(true);
    const cause = error.options.cause as Error;
    expect(`${error.message} ${cause.message} ${cause.stack ?? ""}`).not.toContain(t.emulator.token);
  });

  it("passes a photo without caption as a file with no text, and a caption as text with the file", async () => {
    t.emulator.userSendsMedia(t.dm, t.user, "photo");
    const bare = await sink.next((m) => m.files === 1 && m.text === "");
    expect(bare.isDirect).toBe(true);
    t.emulator.userSendsMedia(t.dm, t.user, "photo", { caption: "what is in this picture?" });
    const msg = await sink.next((m) => m.text === "what is in this picture?");
    expect(msg).toMatchObject({ isDirect: true, files: 1 });
    expect(sink.messages).toHaveLength(2);
  });

  it("does not answer a sticker in a group that nobody addressed to the bot", async () => {
    t.emulator.userSendsMedia(t.group, t.user, "sticker");
    t.emulator.userSays(t.group, t.user, `${bot()} after the sticker`);
    await sink.next((m) => m.text === "after the sticker");
    expect(t.emulator.sent).toHaveLength(0);
  });

  it("ignores edited messages", async () => {
    const original = t.emulator.userSays(t.dm, t.user, "first version");
    await sink.next((m) => m.text === "first version");
    t.emulator.userEdits(original, "edited version");
    t.emulator.userSays(t.dm, t.user, "next message");
    await sink.next((m) => m.text === "next message");
    expect(sink.messages.map((m) => m.text)).toEqual(["first version", "next message"]);
  });

  it("registers /start, /help and /reset with Telegram", () => {
    expect(t.emulator.registeredCommands.map((c) => c.command)).toEqual(["start", "help", "reset"]);
  });

  it("shows typing in the topic, renews it every 4 s and stops when told", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const topic = t.emulator.createTopic(t.forum, t.user);
    t.emulator.userSays(t.forum, t.user, `${bot()} think hard`, { threadId: topic });
    const msg = await sink.next((m) => m.text === "think hard");
    const typing = t.adapter.startTyping(msg.replyTarget);
    expect(await chatAction(t.emulator, 1)).toEqual({
      chatId: t.forum.id,
      threadId: topic,
      action: "typing",
    });
    vi.advanceTimersByTime(3999);
    expect(t.emulator.actions).toHaveLength(1);
    vi.advanceTimersByTime(1);
    await chatAction(t.emulator, 2);
    vi.advanceTimersByTime(4000);
    await chatAction(t.emulator, 3);
    typing.stop();
    vi.advanceTimersByTime(20_000);
    await t.adapter.send(msg.replyTarget, "done thinking");
    await botMessage(t.emulator, "done thinking");
    expect(t.emulator.actions).toHaveLength(3);
  });

  it("keeps each chat's messages in order", async () => {
    for (let i = 1; i <= 5; i++) t.emulator.userSays(t.dm, t.user, `step ${i}`);
    await sink.next((m) => m.text === "step 5");
    expect(sink.messages.map((m) => m.text)).toEqual(["step 1", "step 2", "step 3", "step 4", "step 5"]);
  });
});

describe("Telegram webhook mode", () => {
  let t: TelegramSetup | undefined;

  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("registers the webhook with its secret and only the updates the bridge reads", async () => {
    t = await setupTelegram("webhook");
    await t.adapter.start(new RecordingSink());
    const call = t.emulator.calls.find((c) => c.method === "setWebhook");
    expect(call?.params).toMatchObject({
      url: t.webhookUrl,
      secret_token: "s3cret-for_tests",
      allowed_updates: ["message"],
    });
    expect(t.emulator.webhookInfo).toMatchObject({ url: t.webhookUrl, hasSecret: true });
  });

  it("answers 401 to a webhook call with a wrong or missing secret and relays nothing", async () => {
    t = await setupTelegram("webhook");
    const sink = new RecordingSink();
    await t.adapter.start(sink);
    const forged = {
      update_id: 999,
      message: {
        message_id: 77,
        date: Math.floor(Date.now() / 1000),
        chat: { id: t.dm.id, type: "private", first_name: "Ada" },
        from: { id: t.user.id, is_bot: false, first_name: "Ada" },
        text: "forged message",
      },
    };
    const attempts: Array<Record<string, string>> = [{ "x-telegram-bot-api-secret-token": "wrong" }, {}];
    for (const headers of attempts) {
      const response = await fetch(t.webhookUrl!, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(forged),
      });
      expect(response.status).toBe(401);
    }
    t.emulator.userSays(t.dm, t.user, "genuine message");
    await sink.next((m) => m.text === "genuine message");
    expect(sink.messages.map((m) => m.text)).toEqual(["genuine message"]);
  });

  it("refuses webhook mode without TELEGRAM_WEBHOOK_SECRET", async () => {
    const attempt = () =>
      setupTelegram("polling", { webhook: { url: "https://bridge.example.com/telegram/webhook" } });
    const error = await attempt().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain("TELEGRAM_WEBHOOK_SECRET");
    expect((error as ConfigError).problems[0]?.variable).toBe("TELEGRAM_WEBHOOK_SECRET");
  });

  it("redelivers an update that arrived while the bridge was not ready", async () => {
    t = await setupTelegram("webhook");
    const sink = new RecordingSink();
    await t.adapter.start(sink);
    await t.adapter.stop();
    const refused = waitForEvent<{ status: number }>(t.emulator, "webhookDelivery");
    t.emulator.userSays(t.dm, t.user, "while down");
    expect((await refused).status).toBe(503);
    await t.adapter.start(sink);
    await sink.next((m) => m.text === "while down");
  });
});

describe("Telegram token checks", () => {
  let t: TelegramSetup | undefined;

  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("doctor confirms a good token with the bot's @username", async () => {
    t = await setupTelegram("polling");
    const [check] = await t.adapter.doctor();
    expect(check?.ok).toBe(true);
    expect(check?.detail).toContain(`@${t.emulator.bot.username}`);
  });

  it("doctor says a wrong token is wrong and where to get one, without printing it", async () => {
    const badToken = "123456:WRONG-token-zzzzzzzzzzzzzzzzzzzzzz";
    t = await setupTelegram("polling", { token: badToken });
    const [check] = await t.adapter.doctor();
    expect(check?.ok).toBe(false);
    expect(check?.fix).toContain("@BotFather");
    expect(JSON.stringify(check)).not.toContain(badToken);
  });

  it("refuses to start with a wrong token, naming TELEGRAM_BOT_TOKEN", async () => {
    t = await setupTelegram("polling", { token: "123456:WRONG-token-zzzzzzzzzzzzzzzzzzzzzz" });
    const error = await t.adapter.start(new RecordingSink()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems[0]?.variable).toBe("TELEGRAM_BOT_TOKEN");
    expect(t.adapter.isReady()).toBe(false);
  });
});

describe("Telegram long polling", () => {
  let t: TelegramSetup | undefined;

  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("keeps other chats moving while one chat's message is still being taken", async () => {
    t = await setupTelegram("polling");
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const sink = new RecordingSink();
    const accept = sink.accept.bind(sink);
    sink.accept = async (message) => {
      if (message.text === "slow one") await gate;
      return accept(message);
    };
    await t.adapter.start(sink);
    const other = t.emulator.createUser({ first_name: "Bob" });
    t.emulator.userSays(t.dm, t.user, "slow one");
    t.emulator.userSays(t.dm, t.user, "queued behind slow one");
    t.emulator.userSays(t.emulator.privateChat(other), other, "another chat");
    await sink.next((m) => m.text === "another chat");
    expect(sink.messages.map((m) => m.text)).toEqual(["another chat"]);
    release();
    await sink.next((m) => m.text === "queued behind slow one");
    expect(sink.messages.map((m) => m.text)).toEqual(["another chat", "slow one", "queued behind slow one"]);
  });
});

describe("Telegram mode switch", () => {
  let t: TelegramSetup | undefined;

  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("receives messages by polling after the bot was left in webhook mode", async () => {
    t = await setupTelegram("polling");
    await fetch(`${t.emulator.apiRoot}/bot${t.emulator.token}/setWebhook`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: "https://old.example.com/telegram/webhook", secret_token: "old" }),
    });
    const sink = new RecordingSink();
    await t.adapter.start(sink);
    t.emulator.userSays(t.dm, t.user, "back to polling");
    await sink.next((m) => m.text === "back to polling");
    expect(t.emulator.webhookInfo.url).toBe("");
  });
});

describe("Telegram delivery limits and logs", () => {
  let t: TelegramSetup | undefined;

  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("delivers a reply Telegram finds too long as plain text in pieces", async () => {
    t = await setupTelegram("polling");
    const sink = new RecordingSink();
    await t.adapter.start(sink);
    t.emulator.userSays(t.dm, t.user, "essay please");
    const msg = await sink.next((m) => m.text === "essay please");
    const long = `**Essay** ${"lorem ipsum ".repeat(450)}THE END`;
    const sent = await t.adapter.send(msg.replyTarget, long);
    const end = await botMessage(t.emulator, "THE END");
    const plain = t.emulator.sent.filter((m) => m.parseMode === undefined);
    expect(plain).toHaveLength(2);
    expect(plain.every((m) => m.text.length <= 4096)).toBe(true);
    expect(plain.map((m) => m.text).join(" ")).toBe(
      `Essay ${"lorem ipsum ".repeat(450)}THE END`.replace(/ +/g, " "),
    );
    expect(sent.messageId).toBe(String(plain[0]?.messageId));
    expect(end.parseMode).toBeUndefined();
  });

  it("logs the bot's @username and the privacy-mode note at start, never the token", async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: "debug",
      destination: { write: (line: string) => lines.push(line) },
    });
    t = await setupTelegram("polling", { logger });
    await t.adapter.start(new RecordingSink());
    const text = lines.join("\n");
    expect(text).toContain(`@${t.emulator.bot.username}`);
    expect(text).toMatch(/privacy mode is on/i);
    expect(text).not.toContain(t.emulator.token);
  });
});

describe("Telegram webhook registration", () => {
  let t: TelegramSetup | undefined;

  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("names TELEGRAM_WEBHOOK_URL when Telegram refuses the webhook address", async () => {
    t = await setupTelegram("webhook");
    t.emulator.failNext(
      "setWebhook",
      400,
      "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
    );
    const error = await t.adapter.start(new RecordingSink()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain("An HTTPS URL must be provided");
    expect((error as ConfigError).problems[0]?.variable).toBe("TELEGRAM_WEBHOOK_URL");
    expect(t.adapter.isReady()).toBe(false);
  });
});

describe("Telegram adapter (polling) when the relay cannot take a message", () => {
  it("keeps the message and hands it over once the relay recovers, in order, once", async () => {
    const t = await setupTelegram("polling", { acceptRetryBaseMs: 1 });
    let failures = 2;
    const sink = new (class extends RecordingSink {
      override async accept(message: Parameters<RecordingSink["accept"]>[0]) {
        if (failures > 0) {
          failures--;
          throw new Error("store unreachable");
        }
        return super.accept(message);
      }
    })();
    try {
      await t.adapter.start(sink);
      t.emulator.userSays(t.dm, t.user, "first while the store is down");
      t.emulator.userSays(t.dm, t.user, "second after it");
      await sink.next((m) => m.text === "second after it");
      expect(sink.messages.map((m) => m.text)).toEqual(["first while the store is down", "second after it"]);
    } finally {
      await t.close();
    }
  });
});
