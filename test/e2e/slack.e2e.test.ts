// Slack through the whole bridge: the real Bolt adapter (made from env by src/platforms.ts) against
// the Slack emulator, in Socket Mode and over signed HTTP events to the bridge's own server, with
// the real relay, store, client and contact sync against the assistant emulator. Every assertion is
// about what a Slack user sees, or what reaches the assistant.
import { afterEach, describe, expect, it } from "vitest";
import { PLACEHOLDER_TEXT } from "../../adapters/slack/index.js";
import { waitForEvent } from "../support/events.js";
import {
  answersTo,
  answerTo,
  botTexts,
  chatCalls,
  type Mode,
  type SlackBridge,
  shown,
  startSlackBridge,
} from "./slack-helpers.js";

const open: SlackBridge[] = [];
async function start(mode: Mode, options: { oauth?: boolean } = {}): Promise<SlackBridge> {
  const b = await startSlackBridge(mode, options);
  open.push(b);
  return b;
}

afterEach(async () => {
  for (const b of open.splice(0)) await b.close();
});

describe.each<Mode>(["socket", "http"])("Slack through the bridge (%s mode)", (mode) => {
  it("answers a channel @mention in that message's thread, replacing the Thinking placeholder", async () => {
    const b = await start(mode);
    b.assistant.injectFaults({ kind: "slow", delayMs: 150 });
    const { ts } = await b.slack.userSays(b.user, b.channel, `${b.slack.mention()} what is 2+2?`);
    const answer = await answerTo(b.slack, "what is 2+2?");
    expect(answer.turn).toBe(1);
    const [placeholder, replaced] = b.slack.sent;
    expect(placeholder).toMatchObject({
      method: "chat.postMessage",
      channel: b.channel.id,
      threadTs: ts,
      text: PLACEHOLDER_TEXT,
    });
    expect(replaced).toMatchObject({ method: "chat.update", ts: placeholder?.ts, threadTs: ts });
    expect(answer.sent).toBe(replaced);
    expect(botTexts(b.slack, b.channel.id, ts)).toEqual([answer.sent.text]);
    expect(botTexts(b.slack, b.channel.id).length).toBe(1);
  });

  it("continues the session for a follow-up in the thread without a mention; another thread is another session", async () => {
    const b = await start(mode);
    const { ts } = await b.slack.userSays(b.user, b.channel, `${b.slack.mention()} remember 42`);
    const first = await answerTo(b.slack, "remember 42");
    await b.slack.userSays(b.user, b.channel, "what did I say?", { threadTs: ts });
    const second = await answerTo(b.slack, "what did I say?");
    expect(second).toMatchObject({ sessionId: first.sessionId, turn: 2 });
    expect(second.sent).toMatchObject({ channel: b.channel.id, threadTs: ts });

    const other = await b.slack.userSays(b.user, b.channel, `${b.slack.mention()} a new topic`);
    const third = await answerTo(b.slack, "a new topic");
    expect(third.turn).toBe(1);
    expect(third.sessionId).not.toBe(first.sessionId);
    expect(third.sent.threadTs).toBe(other.ts);
  });

  it("resets a channel thread's session when told `@bot /reset` in that thread", async () => {
    const b = await start(mode);
    const { ts } = await b.slack.userSays(b.user, b.channel, `${b.slack.mention()} remember 7`);
    const first = await answerTo(b.slack, "remember 7");
    await b.slack.userSays(b.user, b.channel, `${b.slack.mention()} /reset`, { threadTs: ts });
    const confirmation = await shown(b.slack, (m) => m.text.includes("new conversation"));
    expect(confirmation).toMatchObject({ channel: b.channel.id, threadTs: ts });
    await b.slack.userSays(b.user, b.channel, "what was the number?", { threadTs: ts });
    const after = await answerTo(b.slack, "what was the number?");
    expect(after.turn).toBe(1);
    expect(after.sessionId).not.toBe(first.sessionId);
  });

  it("answers a DM in the DM and keeps its context", async () => {
    const b = await start(mode);
    await b.slack.userSays(b.user, b.dm, "hello bridge");
    const first = await answerTo(b.slack, "hello bridge");
    expect(first.sent.channel).toBe(b.dm.id);
    expect(first.sent.threadTs).toBeUndefined();
    await b.slack.userSays(b.user, b.dm, "still me");
    const second = await answerTo(b.slack, "still me");
    expect(second).toMatchObject({ sessionId: first.sessionId, turn: 2 });
    expect(second.sent.channel).toBe(b.dm.id);
  });

  it("/reset answers only the user and starts a new session; /help explains the commands", async () => {
    const b = await start(mode);
    await b.slack.userSays(b.user, b.dm, "before reset");
    const before = await answerTo(b.slack, "before reset");

    const reset = await b.slack.slashCommand(b.user, b.dm, "/reset");
    expect(reset.response).toMatchObject({ response_type: "ephemeral" });
    expect(reset.response.text).toMatch(/^Started a new conversation/);
    const help = await b.slack.slashCommand(b.user, b.channel, "/help");
    expect(help.response).toMatchObject({ response_type: "ephemeral" });
    expect(help.response.text).toContain("/reset");
    expect(help.response.text).toContain("/help");

    await b.slack.userSays(b.user, b.dm, "after reset");
    const after = await answerTo(b.slack, "after reset");
    expect(after.turn).toBe(1);
    expect(after.sessionId).not.toBe(before.sessionId);
    expect(b.slack.sent.some((m) => /Started a new conversation|\/help/.test(m.text))).toBe(false);
  });

  it("splits a long answer with a code block into thread replies in order, each with balanced fences", async () => {
    const b = await start(mode);
    const codeLines = Array.from({ length: 260 }, (_, i) => `const line${i} = "value number ${i}";`);
    const answer = [
      "Here is the program:",
      "",
      "```ts",
      ...codeLines,
      "```",
      "",
      "That is all. THE END",
    ].join("\n");
    expect(answer.length).toBeGreaterThan(3500 * 2);
    b.assistant.setRespond(() => answer);
    const { ts } = await b.slack.userSays(b.user, b.channel, `${b.slack.mention()} write a long program`);
    await shown(b.slack, (m) => m.text.includes("THE END"));

    const parts = botTexts(b.slack, b.channel.id, ts);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(4000);
      expect((part.match(/^```/gm)?.length ?? 0) % 2).toBe(0);
    }
    expect(parts[0]).toMatch(/^Here is the program/);
    expect(parts.at(-1)).toMatch(/THE END$/);
    const codeSeen = parts
      .join("\n")
      .split("\n")
      .filter((l) => l.startsWith("const line"));
    expect(codeSeen).toEqual(codeLines);
    expect(botTexts(b.slack, b.channel.id)).toEqual(parts);
  });

  it("shows the assistant's Markdown as Slack mrkdwn", async () => {
    const b = await start(mode);
    b.assistant.setRespond(() => "**Bold**, [the docs](https://example.com/docs) and a < b & c");
    await b.slack.userSays(b.user, b.dm, "format please");
    const seen = await shown(b.slack, (m) => m.text.includes("docs"));
    expect(seen.text).toContain("*Bold*");
    expect(seen.text).not.toContain("**");
    expect(seen.text).toContain("<https://example.com/docs|the docs>");
    expect(seen.text).toContain("a &lt; b &amp; c");
  });

  it("gives no answer and makes no assistant call for other bots or its own posts", async () => {
    const b = await start(mode);
    await b.slack.userSays(b.otherBot, b.slack.dmWith(b.otherBot), "beep");
    await b.slack.userSays(b.otherBot, b.channel, `${b.slack.mention()} beep in channel`);
    await b.slack.userSays(b.user, b.dm, "a human speaks");
    await answerTo(b.slack, "a human speaks");
    // The bot's own answer came back to it as a message event; a second human message shows
    // whether that echo (or the bots) started a turn of their own.
    await b.slack.userSays(b.user, b.dm, "and again");
    const again = await answerTo(b.slack, "and again");
    expect(again.turn).toBe(2);
    expect(chatCalls(b.assistant)).toBe(2);
    expect(b.slack.sent.some((m) => m.text.includes("beep"))).toBe(false);
  });

  it("waits out a 429 from chat.postMessage and shows exactly one answer", async () => {
    const b = await start(mode);
    b.slack.rateLimit("chat.postMessage", 1, 1);
    const { ts } = await b.slack.userSays(b.user, b.channel, `${b.slack.mention()} busy day`);
    const answer = await answerTo(b.slack, "busy day");
    expect(b.slack.calls.filter((c) => c.method === "chat.postMessage").map((c) => c.status)).toEqual([
      429, 200,
    ]);
    expect(botTexts(b.slack, b.channel.id, ts)).toEqual([answer.sent.text]);
    expect(answersTo(b.slack, "busy day")).toHaveLength(1);
    expect(chatCalls(b.assistant)).toBe(1);
  });

  it("posts a signed MyGPT agent message into the conversation's Slack thread", async () => {
    const b = await start(mode);
    const { ts } = await b.slack.userSays(b.user, b.channel, `${b.slack.mention()} I need a human`);
    const answer = await answerTo(b.slack, "I need a human");
    const sent = await b.assistant.sendWebhook(
      `${b.url}/webhooks/mygpt`,
      b.assistant.makeMessageEvent(answer.sessionId, "agent", "Hi, Sam from support here."),
    );
    expect(sent.status).toBe(202);
    const posted = await shown(b.slack, (m) => m.text === "Hi, Sam from support here.");
    expect(posted).toMatchObject({ channel: b.channel.id, threadTs: ts, teamId: b.slack.workspace.id });
  });

  it("makes the Slack user a contact with their users.info profile and a team-scoped external id", async () => {
    const b = await start(mode);
    const created = waitForEvent<{ method: string; path: string; status: number }>(
      b.assistant,
      "request",
      (r) => r.method === "POST" && r.path === "/contacts",
    );
    await b.slack.userSays(b.user, b.dm, "who am I to you?");
    await answerTo(b.slack, "who am I to you?");
    expect((await created).status).toBeLessThan(300);
    const teamId = b.slack.workspace.id;
    const contact = b.assistant.contacts().find((c) => c.externalId === `slack:${teamId}:${b.user.id}`);
    expect(contact).toMatchObject({
      name: "Ada Lovelace",
      email: "ada@example.com",
      attributes: {
        platform: "slack",
        username: "ada",
        displayName: "Ada",
        timeZone: "Europe/London",
        slack_team_id: teamId,
      },
    });
    expect(b.slack.calls.some((c) => c.method === "users.info" && c.params.user === b.user.id)).toBe(true);
  });
});

/** Resolves when the assistant emulator has received a chat call (the answer is then in flight). */
function chatArrives(b: SlackBridge): Promise<unknown> {
  return waitForEvent<{ method: string; path: string }>(
    b.assistant,
    "received",
    (r) => r.method === "POST" && r.path.startsWith("/bot/"),
  );
}

describe("Slack retries and redeliveries through the bridge", () => {
  it("a Slack event retried with x-slack-retry-num gets one answer and one assistant call", async () => {
    const b = await start("http");
    b.assistant.injectFaults({ kind: "slow", delayMs: 400 });
    const asking = chatArrives(b);
    const { events, results } = await b.slack.userSays(b.user, b.dm, "retry me");
    expect(results.map((r) => r.status)).toEqual([200]);
    const [event] = events;
    if (!event) throw new Error("Slack sent no event");
    await asking;
    const whileAnswering = await b.slack.deliver(event, { retryNum: 1, retryReason: "http_timeout" });
    expect(whileAnswering.status).toBe(200);
    expect(answersTo(b.slack, "retry me")).toHaveLength(0);
    await answerTo(b.slack, "retry me");
    const afterAnswer = await b.slack.deliver(event, { retryNum: 2, retryReason: "http_timeout" });
    expect(afterAnswer.status).toBe(200);

    await b.slack.userSays(b.user, b.dm, "marker");
    const marker = await answerTo(b.slack, "marker");
    expect(marker.turn).toBe(2);
    expect(answersTo(b.slack, "retry me")).toHaveLength(1);
    expect(chatCalls(b.assistant)).toBe(2);
  });

  it("a retry that is the first delivery to arrive is still answered", async () => {
    const b = await start("http");
    const { events, results } = await b.slack.userSays(b.user, b.dm, "lost first", { signature: "bad" });
    expect(results.map((r) => r.status)).toEqual([401]);
    const [event] = events;
    if (!event) throw new Error("Slack sent no event");
    const retry = await b.slack.deliver(event, { retryNum: 1, retryReason: "http_error" });
    expect(retry.status).toBe(200);
    const answer = await answerTo(b.slack, "lost first");
    expect(answer.sent.channel).toBe(b.dm.id);
    expect(chatCalls(b.assistant)).toBe(1);
  });

  it("a Socket Mode envelope Slack sends again gets one answer and one assistant call", async () => {
    const b = await start("socket");
    b.assistant.injectFaults({ kind: "slow", delayMs: 400 });
    const asking = chatArrives(b);
    const { results } = await b.slack.userSays(b.user, b.dm, "envelope twice");
    const envelopeId = results[0]?.envelopeId;
    if (!envelopeId) throw new Error("Slack sent no envelope");
    await b.slack.waitForAck(envelopeId);
    await asking;
    b.slack.redeliverEnvelope(envelopeId);
    await b.slack.waitForAck(envelopeId);
    expect(answersTo(b.slack, "envelope twice")).toHaveLength(0);
    await answerTo(b.slack, "envelope twice");

    await b.slack.userSays(b.user, b.dm, "marker");
    const marker = await answerTo(b.slack, "marker");
    expect(marker.turn).toBe(2);
    expect(answersTo(b.slack, "envelope twice")).toHaveLength(1);
    expect(chatCalls(b.assistant)).toBe(2);
  });
});

describe("Slack request signatures through the bridge (HTTP mode)", () => {
  it.each([
    ["a wrong signature", { signature: "bad" as const }],
    ["a timestamp 6 minutes old", { timestampOffsetSec: -360 }],
    ["a timestamp 6 minutes in the future", { timestampOffsetSec: 360 }],
  ])(
    "refuses an event or slash command with %s: 401, no answer, no assistant call",
    async (_name, forged) => {
      const b = await start("http");
      const said = await b.slack.userSays(b.user, b.dm, "forged", forged);
      expect(said.results.map((r) => r.status)).toEqual([401]);
      const command = await b.slack.slashCommand(b.user, b.dm, "/reset", "", forged);
      expect(command.result.status).toBe(401);

      await b.slack.userSays(b.user, b.dm, "genuine");
      const answer = await answerTo(b.slack, "genuine");
      expect(answer.turn).toBe(1);
      expect(answersTo(b.slack, "forged")).toHaveLength(0);
      expect(chatCalls(b.assistant)).toBe(1);
    },
  );
});

describe("Slack multi-workspace install through the bridge", () => {
  async function get(url: string, cookie?: string): Promise<Response> {
    return fetch(url, { redirect: "manual", ...(cookie && { headers: { cookie } }) });
  }

  it("a workspace installed through /slack/install is answered with its own token, and the first still works", async () => {
    const b = await start("http", { oauth: true });
    const acme = b.slack.createWorkspace("Acme");
    b.slack.nextInstallWorkspace = acme;

    const install = await get(`${b.url}/slack/install`);
    expect(install.status).toBe(302);
    const cookie = (install.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const approved = await get(install.headers.get("location") ?? "");
    expect(approved.status).toBe(302);
    const redirect = approved.headers.get("location") ?? "";
    expect(redirect.startsWith(`${b.url}/slack/oauth_redirect?`)).toBe(true);
    const callback = await get(redirect, cookie);
    expect(callback.status).toBe(200);
    expect(await callback.text()).toContain("Installed");

    const wile = b.slack.createUser({ name: "wile", realName: "Wile E. Coyote", teamId: acme.id });
    const room = b.slack.createChannel("acme-general", { teamId: acme.id });
    const { ts } = await b.slack.userSays(wile, room, `${b.slack.mention(acme.id)} hello from Acme`);
    const there = await answerTo(b.slack, "hello from Acme");
    expect(there.sent).toMatchObject({ teamId: acme.id, channel: room.id, threadTs: ts });
    const placeholder = b.slack.sent.find((m) => m.text === PLACEHOLDER_TEXT && m.channel === room.id);
    expect(placeholder?.teamId).toBe(acme.id);

    await b.slack.userSays(b.user, b.channel, `${b.slack.mention()} hello from home`);
    const home = await answerTo(b.slack, "hello from home");
    expect(home.sent.teamId).toBe(b.slack.workspace.id);
    expect(home.sessionId).not.toBe(there.sessionId);

    const contact = () => b.assistant.contacts().find((c) => c.externalId === `slack:${acme.id}:${wile.id}`);
    if (!contact()) await waitForEvent(b.assistant, "request", () => contact() !== undefined);
    expect(contact()).toMatchObject({ name: "Wile E. Coyote", attributes: { slack_team_id: acme.id } });
  });
});
