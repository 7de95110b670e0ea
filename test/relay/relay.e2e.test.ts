// The relay end to end: an in-test adapter, the real relay, store, client and budget, and the
// assistant emulator. Every assertion is about what users in the chat would see.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startAssistantEmulator } from "../emulators/assistant/index.js";
import { bridgesClosedAfterEach, parseReply, startTestBridge } from "../support/bridge-harness.js";
import { TestAdapter } from "../support/test-adapter.js";

const oneAtATime = "relay:\n  concurrency: 1\n  mergeQueuedMessages: false\n";

describe("the relay", () => {
  const start = bridgesClosedAfterEach();

  it("answers a direct message with the assistant's reply", async () => {
    const adapter = new TestAdapter();
    await start({ adapters: [adapter] });
    await adapter.say({ channel: "D1", text: "hello there" });
    const [reply] = await adapter.waitForPosts(1);
    expect(parseReply(reply!.text)).toMatchObject({ turn: 1, message: "hello there" });
  });

  it("answers the messages of one conversation in the order they were sent", async () => {
    const adapter = new TestAdapter();
    await start({ adapters: [adapter], yaml: "relay:\n  mergeQueuedMessages: false\n" });
    for (let i = 1; i <= 6; i++) await adapter.say({ channel: "D1", text: `question ${i}` });
    const replies = (await adapter.waitForPosts(6)).map((p) => parseReply(p.text));
    expect(replies.map((r) => r.message)).toEqual([1, 2, 3, 4, 5, 6].map((i) => `question ${i}`));
    expect(replies.map((r) => r.turn)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("keeps one session per conversation, and separate sessions for separate threads", async () => {
    const adapter = new TestAdapter();
    await start({ adapters: [adapter] });
    await adapter.say({ channel: "C1", thread: "t1", text: "first in t1" });
    await adapter.waitForPosts(1);
    await adapter.say({ channel: "C1", thread: "t1", text: "second in t1" });
    await adapter.say({ channel: "C1", thread: "t2", text: "first in t2" });
    await adapter.waitForPosts(3);
    const t1 = adapter.postedIn("C1", "t1").map(parseReply);
    const t2 = adapter.postedIn("C1", "t2").map(parseReply);
    expect(t1.map((r) => r.turn)).toEqual([1, 2]);
    expect(t1[0]!.sessionId).toBe(t1[1]!.sessionId);
    expect(t2[0]!.sessionId).not.toBe(t1[0]!.sessionId);
  });

  it("lets a quiet user through while another floods the bot", async () => {
    const adapter = new TestAdapter();
    await start({ adapters: [adapter], yaml: oneAtATime });
    for (let i = 0; i < 30; i++) await adapter.say({ channel: "flood", text: `flood ${i}` });
    await adapter.say({ channel: "quiet", text: "just one question" });
    await adapter.waitForPosts(1, (p) => p.conversation.channelId === "quiet");
    const floodAnsweredBefore = adapter.posted.findIndex((p) => p.conversation.channelId === "quiet");
    expect(floodAnsweredBefore).toBeLessThanOrEqual(2);
  });

  it("answers a burst that piled up while waiting with one call that saw every message", async () => {
    const adapter = new TestAdapter();
    const t = await start({ adapters: [adapter], yaml: "relay:\n  concurrency: 1\n" });
    t.assistant.injectFaults({ kind: "slow", delayMs: 300 });
    await adapter.say({ channel: "busy", text: "slow first question" });
    await adapter.say({ channel: "other", text: "part one" });
    await adapter.say({ channel: "other", text: "part two" });
    await adapter.say({ channel: "other", text: "part three" });
    await adapter.waitForPosts(1, (p) => p.conversation.channelId === "other");
    const merged = parseReply(adapter.postedIn("other")[0]!);
    expect(merged.message).toBe("part one\n\npart two\n\npart three");
    const callsForOther = t.assistant.requests.filter(
      (r) => r.kind === "chat" && JSON.stringify(r.body).includes("part"),
    );
    expect(callsForOther).toHaveLength(1);
  });

  it("never merges a burst of long messages into a call the assistant would refuse as too long", async () => {
    const adapter = new TestAdapter(20_000);
    const t = await start({ adapters: [adapter], yaml: "relay:\n  concurrency: 1\n" });
    t.assistant.injectFaults({ kind: "slow", delayMs: 300 });
    await adapter.say({ channel: "busy", text: "slow first question" });
    const long = (n: number) => `${n}: ${"long question text ".repeat(210)}`;
    for (let i = 0; i < 4; i++) await adapter.say({ channel: "essay", text: long(i) });
    await t.bridge.relay.whenIdle();
    const calls = t.assistant.requests.filter(
      (r) => r.kind === "chat" && JSON.stringify(r.body).includes("long question"),
    );
    expect(calls.length).toBeGreaterThan(1);
    for (const call of calls) expect(call.status).toBe(200);
    expect(adapter.posted.filter((p) => p.text.startsWith("Sorry"))).toHaveLength(0);
  });

  it("tells the user a message is too long instead of asking the assistant", async () => {
    const adapter = new TestAdapter();
    const t = await start({ adapters: [adapter] });
    await adapter.say({ channel: "D1", text: "x".repeat(10_001) });
    const [notice] = await adapter.waitForPosts(1);
    expect(notice!.text).toContain("too long");
    expect(t.assistant.requests.filter((r) => r.kind === "chat")).toHaveLength(0);
  });

  it("starts a new session on /reset and confirms it", async () => {
    const adapter = new TestAdapter();
    await start({ adapters: [adapter] });
    await adapter.say({ channel: "D1", text: "remember me" });
    const [before] = await adapter.waitForPosts(1);
    await adapter.say({ channel: "D1", text: "/reset" });
    await adapter.waitForPosts(2);
    expect(adapter.posted[1]!.text).toContain("new conversation");
    await adapter.say({ channel: "D1", text: "who am I" });
    const after = (await adapter.waitForPosts(3))[2]!;
    expect(parseReply(after.text).sessionId).not.toBe(parseReply(before!.text).sessionId);
    expect(parseReply(after.text).turn).toBe(1);
  });

  it("answers a question sent just before /reset in the old session, and the next one in the new", async () => {
    const adapter = new TestAdapter();
    await start({ adapters: [adapter] });
    await adapter.say({ channel: "D1", text: "warm up" });
    await adapter.waitForPosts(1);
    await adapter.say({ channel: "D1", text: "last question" });
    await adapter.say({ channel: "D1", text: "/reset" });
    await adapter.say({ channel: "D1", text: "fresh question" });
    const posts = await adapter.waitForPosts(4);
    const [warm, last, reset, fresh] = posts.map((p) => p.text);
    expect(parseReply(last!)).toMatchObject({
      sessionId: parseReply(warm!).sessionId,
      turn: 2,
      message: "last question",
    });
    expect(reset).toContain("new conversation");
    expect(parseReply(fresh!)).toMatchObject({ turn: 1, message: "fresh question" });
    expect(parseReply(fresh!).sessionId).not.toBe(parseReply(warm!).sessionId);
  });

  it("answers /help without calling the assistant", async () => {
    const adapter = new TestAdapter();
    const t = await start({ adapters: [adapter] });
    await adapter.say({ channel: "D1", text: "/help" });
    const [help] = await adapter.waitForPosts(1);
    expect(help!.text).toContain("/reset");
    expect(t.assistant.requests.filter((r) => r.kind === "chat")).toHaveLength(0);
  });

  it("never relays a bot's message", async () => {
    const adapter = new TestAdapter();
    const t = await start({ adapters: [adapter] });
    const outcome = await adapter.say({ channel: "D1", text: "I am a bot", isBot: true });
    expect(outcome.status).toBe("ignored");
    await adapter.say({ channel: "D1", text: "I am a human" });
    await adapter.waitForPosts(1);
    expect(t.assistant.requests.filter((r) => r.kind === "chat")).toHaveLength(1);
  });

  it("ignores users, channels and workspaces the config file denies or does not allow", async () => {
    const adapter = new TestAdapter();
    const t = await start({
      adapters: [adapter],
      yaml: "policy:\n  allow:\n    channels: [open, D1]\n  deny:\n    users: ['test:U666']\n",
    });
    expect((await adapter.say({ channel: "closed", text: "not allowed here" })).status).toBe("ignored");
    expect((await adapter.say({ channel: "open", user: "U666", text: "denied user" })).status).toBe(
      "ignored",
    );
    expect((await adapter.say({ channel: "open", user: "U1", text: "allowed" })).status).toBe("queued");
    await adapter.waitForPosts(1);
    const asked = t.assistant.requests
      .filter((r) => r.kind === "chat")
      .map((r) => (r.body as { message: string }).message);
    expect(asked).toEqual(["allowed"]);
  });

  it("ignores channel chatter not addressed to it, but follows a thread it answered", async () => {
    const adapter = new TestAdapter();
    await start({ adapters: [adapter] });
    const chatter = await adapter.say({
      channel: "C1",
      thread: "t9",
      text: "talking among us",
      isDirect: false,
      addressesBot: false,
    });
    expect(chatter.status).toBe("ignored");
    await adapter.say({ channel: "C1", thread: "t1", text: "@bot hi", isDirect: false, addressesBot: true });
    await adapter.waitForPosts(1);
    const followUp = await adapter.say({
      channel: "C1",
      thread: "t1",
      text: "and another thing",
      isDirect: false,
      addressesBot: false,
    });
    expect(followUp.status).toBe("queued");
    await adapter.waitForPosts(2);
  });

  it("answers a redelivered message once", async () => {
    const adapter = new TestAdapter();
    const t = await start({ adapters: [adapter] });
    const first = await adapter.say({ channel: "D1", text: "once please", messageId: "dup-1" });
    const again = await adapter.say({ channel: "D1", text: "once please", messageId: "dup-1" });
    expect(first.status).toBe("queued");
    expect(again.status).toBe("duplicate");
    await adapter.waitForPosts(1);
    const third = await adapter.say({ channel: "D1", text: "once please", messageId: "dup-1" });
    expect(third.status).toBe("duplicate");
    expect(t.assistant.requests.filter((r) => r.kind === "chat")).toHaveLength(1);
  });

  it("recovers from a storm of 429s and 500s with every message answered exactly once", async () => {
    const adapter = new TestAdapter();
    const t = await start({ adapters: [adapter], yaml: "relay:\n  mergeQueuedMessages: false\n" });
    t.assistant.injectFaults(
      { kind: "error", code: "RATE_LIMIT_EXCEEDED", retryAfterSeconds: 1 },
      { kind: "error", code: "INTERNAL_ERROR" },
      { kind: "error", code: "RATE_LIMIT_EXCEEDED", retryAfterSeconds: 1 },
      { kind: "error", code: "INTERNAL_ERROR" },
      { kind: "non-json", status: 502 },
      { kind: "drop" },
    );
    const texts = Array.from({ length: 8 }, (_, i) => `storm message ${i}`);
    for (const [i, text] of texts.entries()) await adapter.say({ channel: `c${i % 4}`, text });
    await adapter.waitForPosts(8, () => true, 30_000);
    const answered = adapter.posted.map((p) => parseReply(p.text).message).sort();
    expect(answered).toEqual([...texts].sort());
  });

  it("tells the user briefly when the assistant rejects the key, instead of staying silent", async () => {
    const adapter = new TestAdapter();
    const t = await start({ adapters: [adapter] });
    t.assistant.injectFaults({ kind: "error", code: "INVALID_API_KEY", on: "chat" });
    await adapter.say({ channel: "D1", text: "are you there" });
    const [apology] = await adapter.waitForPosts(1);
    expect(apology!.text).toMatch(/^Sorry/);
    expect(apology!.text).not.toContain(t.assistant.apiKey);
  });

  it("retries posting a reply when the platform connection resets, and posts it once", async () => {
    const adapter = new TestAdapter();
    await start({ adapters: [adapter] });
    adapter.failNextSends(2, true);
    await adapter.say({ channel: "D1", text: "flaky network" });
    await adapter.waitForPosts(1);
    expect(adapter.posted).toHaveLength(1);
  });

  it("splits a long reply at the platform's limit without breaking a code block", async () => {
    const adapter = new TestAdapter(500);
    const t = await start({ adapters: [adapter] });
    const code = Array.from({ length: 60 }, (_, i) => `line ${i} of code`).join("\n");
    t.assistant.setRespond(() => `Intro paragraph.\n\n\`\`\`js\n${code}\n\`\`\`\n\nThe end.`);
    await adapter.say({ channel: "D1", text: "show me code" });
    await adapter.waitForPosts(1, (p) => p.text.includes("The end."));
    for (const p of adapter.posted) {
      expect(p.text.length).toBeLessThanOrEqual(500);
      expect((p.text.match(/```/g) ?? []).length % 2).toBe(0);
    }
    expect(adapter.posted.length).toBeGreaterThan(1);
    const all = adapter.posted.map((p) => p.text).join("\n");
    for (let i = 0; i < 60; i++) expect(all).toContain(`line ${i} of code`);
  });

  it("tells a user to retry when the backlog is full, and still answers what it accepted", async () => {
    const adapter = new TestAdapter();
    const t = await start({
      adapters: [adapter],
      yaml: "relay:\n  concurrency: 1\n  mergeQueuedMessages: false\n  maxConversationBacklog: 2\n",
    });
    t.assistant.injectFaults({ kind: "slow", delayMs: 200 });
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push((await adapter.say({ channel: "D1", text: `m${i}` })).status);
    expect(outcomes).toEqual(["queued", "queued", "queued", "rejected"]);
    await adapter.waitForPosts(4);
    expect(adapter.posted.some((p) => p.text.includes("send it again"))).toBe(true);
    expect(
      adapter.posted.filter((p) => p.text.startsWith("[session")).map((p) => parseReply(p.text).message),
    ).toEqual(["m0", "m1", "m2"]);
  });

  it("tells a waiting user once that the wait will be long", async () => {
    const adapter = new TestAdapter();
    await start({
      adapters: [adapter],
      env: { MYGPT_CHAT_RATE: "1/10s" },
      emulator: { chatLimit: { limit: 1, windowMs: 10_000 } },
      yaml: "relay:\n  concurrency: 1\n  mergeQueuedMessages: false\n  longWaitNoticeSeconds: 1\n",
    });
    await adapter.say({ channel: "a", text: "first" });
    await adapter.say({ channel: "b", text: "second" });
    await adapter.say({ channel: "b", text: "third" });
    const notices = await adapter.waitForPosts(1, (p) => p.text.includes("in line"));
    expect(notices[0]!.conversation.channelId).toBe("b");
    expect(adapter.posted.filter((p) => p.text.includes("in line"))).toHaveLength(1);
  });

  it("drains a call in flight on shutdown and posts its answer", async () => {
    const adapter = new TestAdapter();
    const t = await start({ adapters: [adapter] });
    t.assistant.injectFaults({ kind: "slow", delayMs: 300 });
    await adapter.say({ channel: "D1", text: "answer before you go" });
    await new Promise<void>((resolve) => t.assistant.once("request", () => resolve()));
    await t.stopBridge();
    expect(adapter.posted.map((p) => parseReply(p.text).message)).toEqual(["answer before you go"]);
  });
});

describe("the relay across restarts on SQLite", () => {
  it("keeps a conversation's session after a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bridge-restart-"));
    const assistant = await startAssistantEmulator();
    try {
      const env = { STORE_URL: `sqlite://${join(dir, "bridge.sqlite")}` };
      const first = new TestAdapter();
      const a = await startTestBridge({ adapters: [first], env, assistant });
      await first.say({ channel: "D1", text: "before restart" });
      const [r1] = await first.waitForPosts(1);
      await a.close();

      const second = new TestAdapter();
      const b = await startTestBridge({ adapters: [second], env, assistant });
      await second.say({ channel: "D1", text: "after restart" });
      const [r2] = await second.waitForPosts(1);
      await b.close();
      expect(parseReply(r2!.text).sessionId).toBe(parseReply(r1!.text).sessionId);
      expect(parseReply(r2!.text).turn).toBe(2);
    } finally {
      await assistant.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers after a restart the messages that were still waiting for budget, once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bridge-restart-"));
    const assistant = await startAssistantEmulator();
    try {
      const store = { STORE_URL: `sqlite://${join(dir, "bridge.sqlite")}` };
      const first = new TestAdapter();
      const a = await startTestBridge({
        adapters: [first],
        env: { ...store, MYGPT_CHAT_RATE: "1/60s" },
        assistant,
        yaml: "relay:\n  mergeQueuedMessages: false\n",
      });
      await first.say({ channel: "D1", text: "spends the budget" });
      await first.say({ channel: "D2", text: "waits for budget" });
      await first.waitForPosts(1, (p) => p.text.startsWith("[session"));
      await a.close();
      const replies = (adapter: TestAdapter) => adapter.posted.filter((p) => p.text.startsWith("[session"));
      expect(replies(first)).toHaveLength(1);

      const second = new TestAdapter();
      const b = await startTestBridge({ adapters: [second], env: store, assistant });
      const [resumed] = await second.waitForPosts(1);
      await b.bridge.relay.whenIdle();
      await b.close();
      expect(parseReply(resumed!.text).message).toBe("waits for budget");
      expect(replies(second)).toHaveLength(1);
      const calls = assistant.requests
        .filter((r) => r.kind === "chat")
        .map((r) => (r.body as { message: string }).message);
      expect(calls).toEqual(["spends the budget", "waits for budget"]);
    } finally {
      await assistant.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
