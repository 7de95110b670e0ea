// The Slack adapter against the Slack emulator, in Socket Mode and over the HTTP Events API: who is
// heard, which conversation and thread a message belongs to, where replies go, how progress shows,
// slash commands, retries and redeliveries, signatures, rate limits and profiles.
import { afterEach, describe, expect, it } from "vitest";
import { SlackAdapter } from "../../adapters/slack/adapter.js";
import { PLACEHOLDER_TEXT } from "../../adapters/slack/index.js";
import { ConfigError, DeliveryError } from "../../src/errors.js";
import { silentLogger } from "../../src/logger.js";
import { RecordingSink } from "../support/adapter-contract.js";
import { waitForEvent } from "../support/events.js";
import { botMessage, type Mode, type SlackSetup, setupSlack, statusSet } from "./harness.js";

let setup: SlackSetup | undefined;

afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

async function started(mode: Mode, overrides?: Parameters<typeof setupSlack>[1]) {
  setup = await setupSlack(mode, overrides);
  const sink = new RecordingSink();
  await setup.adapter.start(sink);
  return { ...setup, sink };
}

describe.each<Mode>(["socket", "http"])("Slack in %s mode", (mode) => {
  it("answers a channel mention in that message's thread", async () => {
    const { emulator, user, channel, sink, adapter } = await started(mode);
    const { ts } = await emulator.userSays(user, channel, `${emulator.mention()} what is the weather?`);
    const msg = await sink.next((m) => m.text === "what is the weather?");
    expect(msg.conversation).toEqual({
      platform: "slack",
      workspaceId: emulator.workspace.id,
      channelId: channel.id,
      threadId: ts,
    });
    expect(msg.addressesBot).toBe(true);
    expect(msg.isDirect).toBe(false);
    expect(msg.author).toEqual({ id: user.id, isBot: false });
    await adapter.send(msg.replyTarget, "Sunny.");
    const reply = await botMessage(emulator, "Sunny.");
    expect(reply).toMatchObject({ channel: channel.id, threadTs: ts, method: "chat.postMessage" });
  });

  it("hands a mention to the relay once although Slack sends app_mention and message events", async () => {
    const { emulator, user, channel, sink } = await started(mode);
    const { events } = await emulator.userSays(user, channel, `${emulator.mention()} only once`);
    expect(events.map((e) => e.event.type).sort()).toEqual(["app_mention", "message"]);
    await sink.next((m) => m.text === "only once");
    await emulator.userSays(user, channel, `${emulator.mention()} marker`);
    await sink.next((m) => m.text === "marker");
    expect(sink.messages.filter((m) => m.text === "only once")).toHaveLength(1);
  });

  it("passes a thread follow-up without a mention as the same conversation, not addressed", async () => {
    const { emulator, user, channel, sink } = await started(mode);
    const { ts } = await emulator.userSays(user, channel, `${emulator.mention()} start a thread`);
    const first = await sink.next((m) => m.text === "start a thread");
    await emulator.userSays(user, channel, "and one more thing", { threadTs: ts });
    const followUp = await sink.next((m) => m.text === "and one more thing");
    expect(followUp.conversation).toEqual(first.conversation);
    expect(followUp.addressesBot).toBe(false);
    expect(followUp.isDirect).toBe(false);
  });

  it("does not pass channel chatter that neither mentions the bot nor is in a thread", async () => {
    const { emulator, user, channel, sink } = await started(mode);
    await emulator.userSays(user, channel, "just chatting");
    await emulator.userSays(user, channel, `${emulator.mention()} after chatter`);
    await sink.next((m) => m.text === "after chatter");
    expect(sink.messages.map((m) => m.text)).toEqual(["after chatter"]);
  });

  it("answers a DM in the DM, threaded only when the user threaded", async () => {
    const { emulator, user, dm, sink, adapter } = await started(mode);
    const { ts } = await emulator.userSays(user, dm, "plain DM");
    const plain = await sink.next((m) => m.text === "plain DM");
    expect(plain.isDirect).toBe(true);
    expect(plain.addressesBot).toBe(true);
    expect(plain.conversation.threadId).toBeUndefined();
    await adapter.send(plain.replyTarget, "plain answer");
    expect((await botMessage(emulator, "plain answer")).threadTs).toBeUndefined();

    await emulator.userSays(user, dm, "in a thread", { threadTs: ts });
    const threaded = await sink.next((m) => m.text === "in a thread");
    expect(threaded.conversation.threadId).toBe(ts);
    await adapter.send(threaded.replyTarget, "threaded answer");
    expect((await botMessage(emulator, "threaded answer")).threadTs).toBe(ts);
  });

  it("passes plain /reset text in a DM to the relay as text", async () => {
    const { emulator, user, dm, sink } = await started(mode);
    await emulator.userSays(user, dm, "/reset");
    const msg = await sink.next((m) => m.text === "/reset");
    expect(msg.isDirect).toBe(true);
  });

  it("runs /reset and /help slash commands and answers only the user who ran them", async () => {
    const { emulator, user, dm, channel, sink } = await started(mode);
    const reset = await emulator.slashCommand(user, dm, "/reset");
    expect(reset.response).toEqual({ response_type: "ephemeral", text: "Started a new conversation." });
    const help = await emulator.slashCommand(user, channel, "/help");
    expect(help.response).toMatchObject({ response_type: "ephemeral", text: "help text" });
    expect(sink.commands).toEqual([
      {
        name: "reset",
        conversation: { platform: "slack", workspaceId: emulator.workspace.id, channelId: dm.id },
        author: { id: user.id, name: user.name, isBot: false },
      },
      {
        name: "help",
        conversation: { platform: "slack", workspaceId: emulator.workspace.id, channelId: channel.id },
        author: { id: user.id, name: user.name, isBot: false },
      },
    ]);
    expect(emulator.sent).toHaveLength(0);
  });

  it("ignores its own posts, other bots, edits, deletes and joins", async () => {
    const { emulator, user, dm, channel, sink, adapter } = await started(mode);
    const { ts } = await emulator.userSays(user, dm, "first");
    const first = await sink.next((m) => m.text === "first");
    await adapter.send(first.replyTarget, "bot reply in DM");
    const otherBot = emulator.createUser({ name: "deploybot", isBot: true });
    await emulator.userSays(otherBot, emulator.dmWith(otherBot), "beep");
    await emulator.userSays(otherBot, channel, `${emulator.mention()} beep in channel`);
    await emulator.userEdits(user, dm, ts, "first (edited)");
    await emulator.userDeletes(dm, ts);
    await emulator.userJoins(user, channel);
    await emulator.userSays(user, dm, "last");
    await sink.next((m) => m.text === "last");
    expect(sink.messages.map((m) => m.text)).toEqual(["first", "last"]);
  });

  it("renders Markdown as Slack mrkdwn", async () => {
    const { emulator, user, dm, sink, adapter } = await started(mode);
    await emulator.userSays(user, dm, "format please");
    const msg = await sink.next((m) => m.text === "format please");
    await adapter.send(msg.replyTarget, "**Bold**, [the docs](https://example.com/docs) and a < b & c");
    const seen = await botMessage(emulator, "docs");
    expect(seen.text).toContain("*Bold*");
    expect(seen.text).not.toContain("**");
    expect(seen.text).toContain("<https://example.com/docs|the docs>");
    expect(seen.text).toContain("a &lt; b &amp; c");
  });

  it("replaces the placeholder with the first reply chunk and posts the rest", async () => {
    const { emulator, user, channel, sink, adapter } = await started(mode);
    const { ts } = await emulator.userSays(user, channel, `${emulator.mention()} think hard`);
    const msg = await sink.next((m) => m.text === "think hard");
    const typing = adapter.startTyping(msg.replyTarget);
    const placeholder = await botMessage(emulator, "Thinking");
    expect(placeholder).toMatchObject({ text: PLACEHOLDER_TEXT, channel: channel.id, threadTs: ts });
    typing.stop();
    await adapter.send(msg.replyTarget, "part one");
    await adapter.send(msg.replyTarget, "part two");
    const [update, post] = emulator.sent.slice(1);
    expect(update).toMatchObject({ method: "chat.update", ts: placeholder.ts, text: "part one" });
    expect(post).toMatchObject({ method: "chat.postMessage", threadTs: ts, text: "part two" });
  });

  it("removes a placeholder that no reply claimed", async () => {
    const { emulator, user, channel, sink, adapter } = await started(mode, () => ({
      progress: { placeholderGraceMs: 20 },
    }));
    await emulator.userSays(user, channel, `${emulator.mention()} never answered`);
    const msg = await sink.next((m) => m.text === "never answered");
    const typing = adapter.startTyping(msg.replyTarget);
    const placeholder = await botMessage(emulator, "Thinking");
    typing.stop();
    const deleted = await waitForEvent<{ method: string; ts: string }>(
      emulator,
      "botMessage",
      (m) => m.method === "chat.delete",
    );
    expect(deleted.ts).toBe(placeholder.ts);
  });

  it("uses the assistant thread status in a threaded DM and clears it when stopped", async () => {
    const { emulator, user, dm, sink, adapter } = await started(mode);
    emulator.workspace.scopes.push("assistant:write");
    const { ts } = await emulator.userSays(user, dm, "assistant thread start");
    await emulator.userSays(user, dm, "question in thread", { threadTs: ts });
    const msg = await sink.next((m) => m.text === "question in thread");
    const typing = adapter.startTyping(msg.replyTarget);
    await statusSet(emulator, (s) => s.status !== "");
    expect(emulator.statuses[0]).toEqual({ channel: dm.id, threadTs: ts, status: "is thinking…" });
    typing.stop();
    await statusSet(emulator, (s) => s.status === "");
    expect(emulator.sent.some((m) => m.text === PLACEHOLDER_TEXT)).toBe(false);
  });

  it("falls back to a placeholder when Slack refuses the assistant status", async () => {
    const { emulator, user, dm, sink, adapter } = await started(mode);
    const { ts } = await emulator.userSays(user, dm, "root");
    await emulator.userSays(user, dm, "threaded question", { threadTs: ts });
    const msg = await sink.next((m) => m.text === "threaded question");
    const typing = adapter.startTyping(msg.replyTarget);
    const placeholder = await botMessage(emulator, "Thinking");
    expect(placeholder.threadTs).toBe(ts);
    expect(emulator.calls.find((c) => c.method === "assistant.threads.setStatus")?.error).toBe("not_allowed");
    typing.stop();
    await adapter.send(msg.replyTarget, "the answer");
    const answer = await botMessage(emulator, "the answer");
    expect(answer).toMatchObject({ method: "chat.update", ts: placeholder.ts });
  });

  it("returns the author's Slack profile", async () => {
    const { emulator, user, dm, sink, adapter } = await started(mode);
    await emulator.userSays(user, dm, "who am I");
    const msg = await sink.next((m) => m.text === "who am I");
    expect(await adapter.getProfile(msg)).toEqual({
      userId: user.id,
      username: "ada",
      displayName: "Ada",
      realName: "Ada Lovelace",
      email: "ada@example.com",
      timeZone: "Europe/London",
      attributes: { slack_team_id: emulator.workspace.id },
    });
  });
});

describe("Slack retries and redeliveries", () => {
  it("a retried HTTP event carries the same message id, so the relay answers it once", async () => {
    const { emulator, user, dm, sink } = await started("http");
    const { events, results } = await emulator.userSays(user, dm, "retry me");
    expect(results[0]?.status).toBe(200);
    const [event] = events;
    if (!event) throw new Error("no event");
    const retry = await emulator.deliver(event, { retryNum: 1, retryReason: "http_timeout" });
    expect(retry.status).toBe(200);
    await emulator.userSays(user, dm, "marker");
    await sink.next((m) => m.text === "marker");
    const copies = sink.messages.filter((m) => m.text === "retry me");
    expect(copies).toHaveLength(2);
    expect(copies[1]?.messageId).toBe(copies[0]?.messageId);
  });

  it("a retry that is the first delivery to arrive is still handed to the relay", async () => {
    const { emulator, user, dm, sink } = await started("http");
    const { events } = await emulator.userSays(user, dm, "lost first", { signature: "bad" });
    expect(sink.messages).toHaveLength(0);
    const [event] = events;
    if (!event) throw new Error("no event");
    await emulator.deliver(event, { retryNum: 1 });
    await sink.next((m) => m.text === "lost first");
  });

  it("a redelivered Socket Mode envelope carries the same message id", async () => {
    const { emulator, user, dm, sink } = await started("socket");
    const { results } = await emulator.userSays(user, dm, "envelope twice");
    const envelopeId = results[0]?.envelopeId as string;
    await emulator.waitForAck(envelopeId);
    emulator.redeliverEnvelope(envelopeId, 0);
    await emulator.userSays(user, dm, "marker");
    await sink.next((m) => m.text === "marker");
    const copies = sink.messages.filter((m) => m.text === "envelope twice");
    expect(copies).toHaveLength(2);
    expect(copies[1]?.messageId).toBe(copies[0]?.messageId);
  });

  it("reconnects when Slack asks it to and keeps receiving", async () => {
    const { emulator, user, dm, sink, adapter } = await started("socket", () => ({
      socketPingTimeoutMs: 300,
    }));
    const reconnected = waitForEvent(emulator, "socketConnected");
    emulator.requestReconnect();
    await reconnected;
    await emulator.userSays(user, dm, "after reconnect");
    await sink.next((m) => m.text === "after reconnect");
    expect(adapter.isReady()).toBe(true);
  });
});

describe("Slack request signatures (HTTP mode)", () => {
  it.each([
    ["a wrong signature", { signature: "bad" as const }],
    ["no signature", { signature: "missing" as const }],
    ["a timestamp 6 minutes old", { timestampOffsetSec: -360 }],
    ["a timestamp 6 minutes in the future", { timestampOffsetSec: 360 }],
  ])("refuses %s with 401 and hands nothing to the relay", async (_name, options) => {
    const { emulator, user, dm, sink } = await started("http");
    const { results } = await emulator.userSays(user, dm, "forged", options);
    expect(results.map((r) => r.status)).toEqual([401]);
    const command = await emulator.slashCommand(user, dm, "/reset", "", options);
    expect(command.result.status).toBe(401);
    await emulator.userSays(user, dm, "genuine");
    await sink.next((m) => m.text === "genuine");
    expect(sink.messages.map((m) => m.text)).toEqual(["genuine"]);
    expect(sink.commands).toHaveLength(0);
  });

  it("accepts a timestamp a little off in either direction", async () => {
    const { emulator, user, dm, sink } = await started("http");
    await emulator.userSays(user, dm, "slightly behind", { timestampOffsetSec: -200 });
    await emulator.userSays(user, dm, "slightly ahead", { timestampOffsetSec: 200 });
    await sink.next((m) => m.text === "slightly ahead");
    await sink.next((m) => m.text === "slightly behind");
  });

  it("answers Slack's url_verification challenge", async () => {
    await started("http");
    const reply = await setup?.emulator.urlVerification(
      "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
    );
    expect(reply?.status).toBe(200);
    expect(JSON.parse(reply?.body ?? "{}")).toEqual({
      challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
    });
  });

  it("refuses to start in HTTP mode without a signing secret, naming the variable", () => {
    expect(() => new SlackAdapter({ botToken: "xoxb-1", logger: silentLogger() })).toThrow(ConfigError);
    expect(() => new SlackAdapter({ botToken: "xoxb-1", logger: silentLogger() })).toThrow(
      /SLACK_SIGNING_SECRET/,
    );
  });
});

describe("Slack delivery failures", () => {
  it("waits out a 429 with Retry-After and delivers", async () => {
    const { emulator, user, dm, sink, adapter } = await started("socket");
    await emulator.userSays(user, dm, "busy");
    const msg = await sink.next((m) => m.text === "busy");
    emulator.rateLimit("chat.postMessage", 1, 1);
    await adapter.send(msg.replyTarget, "after the wait");
    await botMessage(emulator, "after the wait");
    expect(emulator.calls.filter((c) => c.method === "chat.postMessage").map((c) => c.status)).toEqual([
      429, 200,
    ]);
  });

  it("gives up on a rate limit beyond its retry budget with a retryable error", async () => {
    const { emulator, user, dm, sink, adapter } = await started("socket", () => ({
      retryConfig: { retries: 0 },
    }));
    await emulator.userSays(user, dm, "very busy");
    const msg = await sink.next((m) => m.text === "very busy");
    emulator.rateLimit("chat.postMessage", 5, 1);
    const error = await adapter.send(msg.replyTarget, "never").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ retryable: true, options: { retryAfterMs: 1000 } });
  });

  it("reports a channel the bot is not in as a permanent failure without the token", async () => {
    const { emulator, user, sink, adapter } = await started("socket");
    const outside = emulator.createChannel("secret-plans", { botIsMember: false });
    await emulator.userSays(user, emulator.dmWith(user), "hi");
    const msg = await sink.next((m) => m.text === "hi");
    const target = { ...msg.replyTarget, conversation: { ...msg.conversation, channelId: outside.id } };
    const error = await adapter.send(target, "hello?").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ retryable: false, message: expect.stringContaining("not_in_channel") });
    expect(String((error as Error).message)).not.toContain(emulator.workspace.botToken);
  });
});

describe("Slack doctor", () => {
  it("checks the bot token with auth.test", async () => {
    const { adapter, emulator } = await started("socket");
    const checks = await adapter.doctor();
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(checks[0]?.detail).toContain(emulator.workspace.id);
  });

  it("says what to fix when the token is rejected", async () => {
    setup = await setupSlack("http", () => ({ botToken: "xoxb-not-a-real-token" }));
    const [check] = await setup.adapter.doctor();
    expect(check).toMatchObject({ ok: false, detail: expect.stringContaining("invalid_auth") });
    expect(check?.fix).toContain("SLACK_BOT_TOKEN");
    expect(JSON.stringify(check)).not.toContain("xoxb-not-a-real-token");
    await expect(setup.adapter.start(new RecordingSink())).rejects.toThrow(ConfigError);
  });
});
