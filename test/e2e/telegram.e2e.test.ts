// Telegram through the whole bridge: the real grammY adapter (made from env by src/platforms.ts)
// against the Bot API emulator, the real relay, store, client and contact sync against the assistant
// emulator. Every assertion is about what a Telegram user sees, or what reaches the assistant.
import { afterEach, describe, expect, it } from "vitest";
import type { TgUpdate } from "../emulators/telegram/emulator.js";
import { waitForEvent } from "../support/events.js";
import {
  answersTo,
  answerTo,
  chatCalls,
  type Mode,
  posted,
  pushUpdate,
  startTelegramBridge,
  type TelegramBridge,
} from "./telegram-helpers.js";

const open: TelegramBridge[] = [];
async function start(mode: Mode = "polling", options: { yaml?: string } = {}): Promise<TelegramBridge> {
  const b = await startTelegramBridge(mode, options);
  open.push(b);
  return b;
}

afterEach(async () => {
  for (const b of open.splice(0)) await b.close();
});

describe.each<Mode>(["polling", "webhook"])("Telegram through the bridge (%s)", (mode) => {
  it("answers a private message in that chat, showing typing while the assistant works", async () => {
    const b = await start(mode);
    // Typing shows once the assistant has worked half a second (DEFAULTS.typingDelayMs).
    b.assistant.injectFaults({ kind: "slow", delayMs: 700, on: "chat" });
    b.telegram.userSays(b.dm, b.user, "hello bridge");
    const answer = await answerTo(b.telegram, "hello bridge");
    expect(answer.turn).toBe(1);
    expect(answer.sent.chatId).toBe(b.dm.id);
    expect(answer.sent.replyToMessageId).toBeUndefined();
    const calls = b.telegram.calls;
    const typing = calls.findIndex((c) => c.method === "sendChatAction" && c.params.action === "typing");
    const reply = calls.findIndex((c) => c.method === "sendMessage");
    expect(typing).toBeGreaterThanOrEqual(0);
    expect(typing).toBeLessThan(reply);
    expect(b.telegram.actions[0]).toEqual({ chatId: b.dm.id, action: "typing" });
  });

  it("answers a group @mention in the group quoting it, and a reply to the bot continues the session", async () => {
    const b = await start(mode);
    const asked = b.telegram.userSays(b.group, b.user, `${b.mention} what is 2+2?`);
    const first = await answerTo(b.telegram, "what is 2+2?");
    expect(first.sent.chatId).toBe(b.group.id);
    expect(first.sent.replyToMessageId).toBe(asked.message_id);
    b.telegram.userSays(b.group, b.user, "and 3+3?", { replyTo: first.sent.messageId });
    const second = await answerTo(b.telegram, "and 3+3?");
    expect(second).toMatchObject({ sessionId: first.sessionId, turn: 2 });
  });
});

describe("Telegram through the bridge (polling)", () => {
  it("keeps one session per forum topic and answers inside each topic", async () => {
    const b = await start();
    const billing = b.telegram.createTopic(b.forum, b.user, "Billing");
    const support = b.telegram.createTopic(b.forum, b.user, "Support");
    b.telegram.userSays(b.forum, b.user, `${b.mention} billing one`, { threadId: billing });
    const a1 = await answerTo(b.telegram, "billing one");
    b.assistant.injectFaults({ kind: "slow", delayMs: 700, on: "chat" });
    b.telegram.userSays(b.forum, b.user, `${b.mention} support one`, { threadId: support });
    const s1 = await answerTo(b.telegram, "support one");
    b.telegram.userSays(b.forum, b.user, `${b.mention} billing two`, { threadId: billing });
    const a2 = await answerTo(b.telegram, "billing two");
    expect([a1.sent.threadId, a2.sent.threadId, s1.sent.threadId]).toEqual([billing, billing, support]);
    expect(a2).toMatchObject({ sessionId: a1.sessionId, turn: 2 });
    expect(s1.turn).toBe(1);
    expect(s1.sessionId).not.toBe(a1.sessionId);
    expect(b.telegram.actions.filter((a) => a.chatId === b.forum.id).map((a) => a.threadId)).toContain(
      support,
    );
  });

  it("starts a new session on /reset and answers /help without asking the assistant", async () => {
    const b = await start();
    b.telegram.userSays(b.dm, b.user, "remember me");
    const before = await answerTo(b.telegram, "remember me");
    b.telegram.userSays(b.dm, b.user, "/reset");
    await posted(b.telegram, (m) => m.text.includes("Started a new conversation"));
    b.telegram.userSays(b.dm, b.user, "who am I");
    const after = await answerTo(b.telegram, "who am I");
    expect(after.turn).toBe(1);
    expect(after.sessionId).not.toBe(before.sessionId);
    const callsSoFar = chatCalls(b.assistant);
    b.telegram.userSays(b.dm, b.user, "/help");
    const help = await posted(b.telegram, (m) => m.text.includes("Commands:"));
    expect(help.text).toContain("/reset");
    expect(help.chatId).toBe(b.dm.id);
    expect(chatCalls(b.assistant)).toBe(callsSoFar);
  });

  it("obeys /start, /help and /reset tapped in a group's command menu (sent without @botname)", async () => {
    const b = await start();
    b.telegram.userSays(b.group, b.user, "/start");
    const greeting = await posted(b.telegram, (m) => m.text.startsWith("Hi! I'm an AI assistant"));
    expect(greeting.chatId).toBe(b.group.id);
    b.telegram.userSays(b.group, b.user, `${b.mention} first question`);
    const before = await answerTo(b.telegram, "first question");
    b.telegram.userSays(b.group, b.user, "/reset");
    const reset = await posted(b.telegram, (m) => m.text.includes("Started a new conversation"));
    expect(reset.chatId).toBe(b.group.id);
    b.telegram.userSays(b.group, b.user, "/help");
    await posted(b.telegram, (m) => m.text.includes("Commands:"));
    b.telegram.userSays(b.group, b.user, `${b.mention} second question`);
    const after = await answerTo(b.telegram, "second question");
    expect(after.turn).toBe(1);
    expect(after.sessionId).not.toBe(before.sessionId);
    expect(chatCalls(b.assistant)).toBe(2);
  });

  it("delivers a long answer with a code block in order, each part within Telegram's limit and its code intact", async () => {
    const b = await start();
    const code = Array.from({ length: 160 }, (_, i) => `const line${i} = "${"x".repeat(40)}"; // ${i}`);
    const answer = [
      "Here is the **whole** file:",
      "",
      "```ts",
      ...code,
      "```",
      "",
      "That is all. THE END",
    ].join("\n");
    b.assistant.setRespond(() => answer);
    b.telegram.userSays(b.dm, b.user, "show me the file");
    await posted(b.telegram, (m) => m.text.includes("THE END"));
    const parts = b.telegram.sent.filter((m) => m.chatId === b.dm.id);
    expect(parts.length).toBeGreaterThanOrEqual(2);
    expect(parts.every((m) => m.text.length <= 4096 && m.parseMode === "HTML")).toBe(true);
    expect(parts[0]!.text.startsWith("Here is the whole file:")).toBe(true);
    expect(parts.at(-1)!.text.endsWith("THE END")).toBe(true);
    const codeSeen: string[] = [];
    for (const part of parts) {
      const pre = part.entities.filter((e) => e.type === "pre");
      for (const e of pre) codeSeen.push(...part.text.slice(e.offset, e.offset + e.length).split("\n"));
      expect(part.rawText.split("<pre>").length).toBe(part.rawText.split("</pre>").length);
    }
    expect(codeSeen.filter((l) => l !== "")).toEqual(code);
  });

  it("shows the assistant's Markdown as Telegram formatting", async () => {
    const b = await start();
    b.assistant.setRespond(() => "**Bold** move, run `npm test`, see [docs](https://example.com/a?b=1&c=2)");
    b.telegram.userSays(b.dm, b.user, "format it");
    const m = await posted(b.telegram, (x) => x.text.startsWith("Bold"));
    expect(m.text).toBe("Bold move, run npm test, see docs");
    expect(m.entities).toEqual([
      { type: "bold", offset: 0, length: 4 },
      { type: "code", offset: 15, length: 8 },
      { type: "text_link", offset: 29, length: 4, url: "https://example.com/a?b=1&c=2" },
    ]);
  });

  it("never answers another bot or itself, and asks the assistant nothing for them", async () => {
    const b = await start();
    b.telegram.userSays(b.group, b.otherBot, `${b.mention} bot to bot`);
    b.telegram.userSays(b.group, b.telegram.bot, `${b.mention} talking to myself`);
    b.telegram.userSays(b.group, b.user, `${b.mention} human here`);
    await answerTo(b.telegram, "human here");
    expect(b.telegram.sent).toHaveLength(1);
    expect(chatCalls(b.assistant)).toBe(1);
  });

  it("waits out a 429 on sending the answer and the user gets it exactly once", async () => {
    const b = await start();
    b.telegram.floodNext("sendMessage", 1);
    b.telegram.userSays(b.dm, b.user, "during a flood");
    await answerTo(b.telegram, "during a flood");
    b.telegram.userSays(b.dm, b.user, "after the flood");
    await answerTo(b.telegram, "after the flood");
    expect(answersTo(b.telegram, "during a flood")).toHaveLength(1);
    const sends = b.telegram.calls.filter((c) => c.method === "sendMessage").map((c) => c.status);
    expect(sends).toEqual([429, 200, 200]);
  });

  it("retries a send whose connection dropped and the user gets the answer exactly once", async () => {
    const b = await start();
    b.telegram.dropNextConnection("sendMessage");
    b.telegram.userSays(b.dm, b.user, "over a flaky line");
    const answer = await answerTo(b.telegram, "over a flaky line");
    expect(answer.turn).toBe(1);
    b.telegram.userSays(b.dm, b.user, "still there?");
    expect((await answerTo(b.telegram, "still there?")).turn).toBe(2);
    expect(answersTo(b.telegram, "over a flaky line")).toHaveLength(1);
    expect(chatCalls(b.assistant)).toBe(2);
  });

  it("posts a human agent's reply from the MyGPT dashboard into the user's forum topic", async () => {
    const b = await start();
    const topic = b.telegram.createTopic(b.forum, b.user, "Help desk");
    b.telegram.userSays(b.forum, b.user, `${b.mention} I need a human`, { threadId: topic });
    const { sessionId } = await answerTo(b.telegram, "I need a human");
    const url = `${b.t.bridge.url}/webhooks/mygpt`;
    const sent = await b.assistant.sendWebhook(
      url,
      b.assistant.makeMessageEvent(sessionId, "agent", "Hi, Sam from support here."),
    );
    expect(sent.status).toBe(202);
    const agent = await posted(b.telegram, (m) => m.text === "Hi, Sam from support here.");
    expect(agent).toMatchObject({ chatId: b.forum.id, threadId: topic });
  });

  it("makes the user a contact with their Telegram profile", async () => {
    const b = await start();
    b.telegram.userSays(b.dm, b.user, "hi there");
    await answerTo(b.telegram, "hi there");
    if (b.assistant.contacts().length === 0) {
      await waitForEvent(b.assistant, "request", () => b.assistant.contacts().length > 0);
    }
    expect(b.assistant.contacts()).toEqual([
      expect.objectContaining({
        externalId: `telegram:global:${b.user.id}`,
        name: "Ada Lovelace",
        source: "mygpt-bridge:telegram",
        attributes: expect.objectContaining({
          platform: "telegram",
          username: "ada",
          language: "en",
          telegram_username: "ada",
        }),
      }),
    ]);
  });
});

describe("Telegram through the bridge (webhook)", () => {
  it("answers an update refused with 503 while the bot restarts exactly once, when Telegram retries it", async () => {
    const b = await start("webhook");
    const adapter = b.t.bridge.adapters[0]!;
    await adapter.stop();
    const refused = waitForEvent<{ status: number }>(b.telegram, "webhookDelivery");
    b.telegram.userSays(b.dm, b.user, "while restarting");
    expect((await refused).status).toBe(503);
    const accepted = waitForEvent<{ status: number }>(b.telegram, "webhookDelivery", (d) => d.status === 200);
    await adapter.start(b.t.bridge.relay);
    await accepted;
    await answerTo(b.telegram, "while restarting");
    b.telegram.userSays(b.dm, b.user, "and now?");
    expect((await answerTo(b.telegram, "and now?")).turn).toBe(2);
    expect(answersTo(b.telegram, "while restarting")).toHaveLength(1);
    expect(chatCalls(b.assistant)).toBe(2);
  });

  it("answers an update Telegram pushes again (its 200 was lost) only once", async () => {
    const b = await start("webhook");
    const update = waitForEvent<TgUpdate>(b.telegram, "update");
    b.telegram.userSays(b.dm, b.user, "pushed twice");
    await answerTo(b.telegram, "pushed twice");
    expect(await pushUpdate(b.webhookUrl!, await update)).toBe(200);
    b.telegram.userSays(b.dm, b.user, "next one");
    await answerTo(b.telegram, "next one");
    expect(answersTo(b.telegram, "pushed twice")).toHaveLength(1);
    expect(chatCalls(b.assistant)).toBe(2);
  });
});
