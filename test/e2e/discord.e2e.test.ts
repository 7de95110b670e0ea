// Discord through the whole bridge: the real Discord adapter (made by createPlatformAdapters, as
// `start` makes it) driving discord.js against the Discord emulator, inside a real Bridge with the
// assistant emulator. Every assertion is about what Discord users would see the bot post.

import { afterEach, describe, expect, it } from "vitest";
import { REPLIES } from "../../src/relay/replies.js";
import { openStore } from "../../src/store/open-store.js";
import { type AssistantEmulator, startAssistantEmulator } from "../emulators/assistant/index.js";
import { type BotMessage, DiscordEmulator } from "../emulators/discord/emulator.js";
import type { DiscordMessage } from "../emulators/discord/payloads.js";
import { parseReply, startTestBridge, type TestBridge } from "../support/bridge-harness.js";
import { waitForEvent } from "../support/events.js";
import { adaptersFromEnv, chatRequests } from "../support/platform-bridge.js";

const WEBHOOK_SECRET = "whsec-discord-e2e";

interface DiscordBridge {
  discord: DiscordEmulator;
  assistant: AssistantEmulator;
  t: TestBridge;
}

interface StartOptions {
  http?: boolean;
  yaml?: string;
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startDiscordBridge(options: StartOptions = {}): Promise<DiscordBridge> {
  const discord = await DiscordEmulator.start();
  cleanups.push(() => discord.close());
  const assistant = await startAssistantEmulator({ webhookSecret: WEBHOOK_SECRET });
  cleanups.push(() => assistant.close());
  const env = {
    DISCORD_BOT_TOKEN: discord.token,
    DISCORD_API_URL: discord.apiUrl,
    ...(options.http ? { MYGPT_WEBHOOK_SECRET: WEBHOOK_SECRET } : {}),
  };

  const store = await openStore("memory://");
  const adapters = await adaptersFromEnv(assistant, env, store);
  expect(adapters.map((a) => a.platform)).toEqual(["discord"]);

  const t = await startTestBridge({
    adapters,
    assistant,
    env,
    http: options.http ?? false,
    ...(options.yaml ? { yaml: options.yaml } : {}),
  });
  cleanups.push(() => t.close());
  return { discord, assistant, t };
}

/** Mentions the bot in #general and waits for the answer in the thread started from that message. */
async function askInChannel(discord: DiscordEmulator, text: string) {
  const asked = discord.userSays(text, { mentionBot: true });
  const reply = await discord.nextBotMessage((m) => m.channelId === asked.id);
  return { asked, reply };
}

/** askInChannel for the assistant emulator's default "[session <id> turn <n>] <message>" answers. */
async function askInChannelParsed(discord: DiscordEmulator, text: string) {
  const { asked, reply } = await askInChannel(discord, text);
  return { asked, reply, parsed: parseReply(reply.text) };
}

/** How many Discord messages reached the relay (the bridge's bridge_messages_in_total metric). */
async function discordMessagesIn(t: TestBridge): Promise<number> {
  const metric = await t.bridge.metrics.registry.getSingleMetric("bridge_messages_in_total")?.get();
  return metric?.values.find((v) => v.labels.platform === "discord")?.value ?? 0;
}

function answersTo(discord: DiscordEmulator, channelId: string, message: string): BotMessage[] {
  return discord.sent.filter(
    (m) =>
      m.channelId === channelId && m.text.startsWith("[session ") && parseReply(m.text).message === message,
  );
}

describe("Discord through the bridge: conversations", () => {
  it("answers a channel mention in a new thread started from that message, typing in the channel meanwhile", async () => {
    const { discord, assistant } = await startDiscordBridge();
    // Typing shows once the assistant has worked half a second (DEFAULTS.typingDelayMs).
    assistant.injectFaults({ kind: "slow", delayMs: 700, on: "chat" });
    const seen: string[] = [];
    discord.on("typing", (channelId: string) => seen.push(`typing:${channelId}`));
    discord.on("threadCreated", (thread: { id: string }) => seen.push(`thread:${thread.id}`));
    discord.on("botMessage", (m: BotMessage) => seen.push(`message:${m.channelId}`));

    const { asked, reply, parsed } = await askInChannelParsed(discord, "what is a snowflake?");

    expect(parsed).toMatchObject({ turn: 1, message: "what is a snowflake?" });
    const thread = discord.channels.get(asked.id);
    expect(thread?.parent_id).toBe(discord.channelId);
    expect(thread?.name).toBe("what is a snowflake?");
    expect(reply.via).toBe("channel");
    expect(discord.sent.filter((m) => m.channelId === discord.channelId)).toHaveLength(0);
    expect(seen.indexOf(`typing:${discord.channelId}`)).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf(`typing:${discord.channelId}`)).toBeLessThan(seen.indexOf(`thread:${asked.id}`));
    expect(seen.indexOf(`thread:${asked.id}`)).toBeLessThan(seen.indexOf(`message:${asked.id}`));
  });

  it("continues the same session for a follow-up in the thread without a mention; another mention is a new session", async () => {
    const { discord } = await startDiscordBridge();
    const first = await askInChannelParsed(discord, "remember the number 7");

    discord.userSays("what number did I say?", { channelId: first.asked.id });
    const followUp = await discord.nextBotMessage((m) => m.text.endsWith("what number did I say?"));
    expect(followUp.channelId).toBe(first.asked.id);
    expect(parseReply(followUp.text)).toMatchObject({ sessionId: first.parsed.sessionId, turn: 2 });

    const other = await askInChannelParsed(discord, "a different topic");
    expect(other.asked.id).not.toBe(first.asked.id);
    expect(other.parsed.turn).toBe(1);
    expect(other.parsed.sessionId).not.toBe(first.parsed.sessionId);
  });

  it("answers a DM in the DM, keeping one session there", async () => {
    const { discord, assistant } = await startDiscordBridge();
    assistant.injectFaults({ kind: "slow", delayMs: 700, on: "chat" });
    const dm = discord.userSaysInDm("hello in private");
    const first = await discord.nextBotMessage((m) => m.text.endsWith("hello in private"));
    expect(first.channelId).toBe(dm.channel_id);
    expect(first.guildId).toBeUndefined();
    await discord.nextTyping(dm.channel_id);

    discord.userSaysInDm("still me");
    const second = await discord.nextBotMessage((m) => m.text.endsWith("still me"));
    expect(second.channelId).toBe(dm.channel_id);
    expect(parseReply(second.text)).toMatchObject({ sessionId: parseReply(first.text).sessionId, turn: 2 });
  });

  it("makes the Discord user a contact with their profile and a global external id", async () => {
    const { discord, assistant } = await startDiscordBridge();
    const created = waitForEvent<{ method: string; path: string; status: number }>(
      assistant,
      "request",
      (r) => r.method === "POST" && r.path === "/contacts",
    );
    await askInChannel(discord, "who am I to you?");
    expect((await created).status).toBeLessThan(300);

    const contact = assistant.contacts().find((c) => c.externalId === `discord:global:${discord.human.id}`);
    expect(contact).toMatchObject({
      name: "Alice A.",
      attributes: { platform: "discord", username: "alice", displayName: "Alice A." },
    });
  });

  it("gives no answer and makes no assistant call for other bots or its own posts", async () => {
    const { discord, assistant } = await startDiscordBridge();
    discord.otherBotSays("beep boop, answer me");
    discord.userSays("a bot could reply to this", { channelId: discord.channelId, mentionBot: false });
    await askInChannelParsed(discord, "only me");
    discord.userSaysInDm("and me");
    await discord.nextBotMessage((m) => m.text.endsWith("and me"));

    const asked = chatRequests(assistant).map((r) => JSON.stringify(r.body));
    expect(asked).toHaveLength(2);
    expect(asked[0]).toContain("only me");
    expect(asked[1]).toContain("and me");
    expect(discord.sent.filter((m) => m.text.includes("beep boop"))).toHaveLength(0);
    expect(discord.sent).toHaveLength(2);
  });
});

describe("Discord through the bridge: slash commands", () => {
  it("/ask shows 'thinking' at once, then the answer replaces it", async () => {
    const { discord } = await startDiscordBridge();
    const deferred = waitForEvent<{ token: string; ephemeral: boolean }>(discord, "interactionDeferred");
    const interaction = discord.userRunsCommand("ask", { question: "why is the sky blue?" });
    expect(await deferred).toEqual({ token: interaction.token, ephemeral: false });

    const answer = await discord.nextBotMessage((m) => m.via === "interaction-edit");
    expect(parseReply(answer.text)).toMatchObject({ turn: 1, message: "why is the sky blue?" });
    expect(answer.channelId).toBe(discord.channelId);
    expect(answer.ephemeral).toBe(false);
    expect(interaction.original?.content).toBe(answer.text);
    expect(discord.sent.filter((m) => m.via === "channel")).toHaveLength(0);
  });

  it("/reset in a thread starts a new session there, telling only the user who asked", async () => {
    const { discord } = await startDiscordBridge();
    const first = await askInChannelParsed(discord, "first life");

    discord.userRunsCommand("reset", {}, { channelId: first.asked.id });
    const confirmation = await discord.nextBotMessage((m) => m.text === REPLIES.reset);
    expect(confirmation.ephemeral).toBe(true);
    expect(confirmation.channelId).toBe(first.asked.id);

    discord.userSays("second life", { channelId: first.asked.id });
    const after = await discord.nextBotMessage((m) => m.text.endsWith("second life"));
    expect(after.channelId).toBe(first.asked.id);
    const parsed = parseReply(after.text);
    expect(parsed.turn).toBe(1);
    expect(parsed.sessionId).not.toBe(first.parsed.sessionId);
  });

  it("/reset typed as a message in a thread also starts a new session there", async () => {
    const { discord } = await startDiscordBridge();
    const first = await askInChannelParsed(discord, "before the reset");

    discord.userSays("/reset", { channelId: first.asked.id });
    const confirmation = await discord.nextBotMessage((m) => m.text === REPLIES.reset);
    expect(confirmation.channelId).toBe(first.asked.id);

    discord.userSays("after the reset", { channelId: first.asked.id });
    const after = await discord.nextBotMessage((m) => m.text.endsWith("after the reset"));
    expect(parseReply(after.text)).toMatchObject({ turn: 1, message: "after the reset" });
    expect(parseReply(after.text).sessionId).not.toBe(first.parsed.sessionId);
  });

  it("/help answers privately without calling the assistant", async () => {
    const { discord, assistant } = await startDiscordBridge();
    discord.userRunsCommand("help");
    const help = await discord.nextBotMessage((m) => m.via === "interaction-response");
    expect(help.ephemeral).toBe(true);
    expect(help.text).toContain("/reset");
    expect(chatRequests(assistant)).toHaveLength(0);
  });
});

describe("Discord through the bridge: what the answer looks like", () => {
  it("splits a long answer with a code block into messages of at most 2000 characters, fences balanced, in order", async () => {
    const { discord, assistant } = await startDiscordBridge();
    const codeLines = Array.from({ length: 120 }, (_, i) => `const line${i} = ${i}; // padding text here`);
    const answer = [
      "Here is the program you asked for:",
      "",
      "```ts",
      ...codeLines,
      "```",
      "",
      "That is all. THE END",
    ].join("\n");
    expect(answer.length).toBeGreaterThan(4000);
    assistant.setRespond(() => answer);

    const { asked } = await askInChannel(discord, "write me a long program");
    await discord.nextBotMessage((m) => m.text.includes("THE END"));
    const parts = discord.sent.filter((m) => m.channelId === asked.id).map((m) => m.text);

    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(2000);
      expect(part.match(/^```/gm)?.length ?? 0).toSatisfy((n: number) => n % 2 === 0);
    }
    expect(parts[0]).toMatch(/^Here is the program/);
    expect(parts.at(-1)).toMatch(/THE END$/);
    const codeSeen = parts
      .join("\n")
      .split("\n")
      .filter((l) => l.startsWith("const line"));
    expect(codeSeen).toEqual(codeLines);
  });

  it("keeps Markdown as Discord renders it", async () => {
    const { discord, assistant } = await startDiscordBridge();
    const markdown = "**bold**, *italic*, `code` and a [link](https://example.com)\n\n- one\n- two";
    assistant.setRespond(() => markdown);
    const { reply } = await askInChannel(discord, "format something");
    expect(reply.text).toBe(markdown);
  });

  it("an answer containing @everyone, @here or a user mention pings nobody", async () => {
    const { discord, assistant } = await startDiscordBridge();
    assistant.setRespond(() => `Attention @everyone and @here, especially <@${discord.human.id}>!`);
    const asked = discord.userSays("make an announcement", { mentionBot: true });
    const reply = await discord.nextBotMessage((m) => m.channelId === asked.id);
    expect(reply.text).toContain("@everyone");
    expect(reply.pings).toEqual([]);
  });
});

describe("Discord through the bridge: failures and redelivery", () => {
  it("waits out a 429 on posting the answer and posts it exactly once", async () => {
    const { discord } = await startDiscordBridge();
    discord.rateLimitNext("POST", /^\/channels\/\d+\/messages$/, 1, 300);
    const limited = waitForEvent(discord, "rateLimited");
    const dm = discord.userSaysInDm("are you busy?");
    await limited;
    const reply = await discord.nextBotMessage((m) => m.text.endsWith("are you busy?"));
    expect(reply.channelId).toBe(dm.channel_id);
    discord.userSaysInDm("and now?");
    await discord.nextBotMessage((m) => m.text.endsWith("and now?"));
    expect(answersTo(discord, dm.channel_id, "are you busy?")).toHaveLength(1);
  });

  it("after a forced disconnect, resumes and answers the in-flight and the missed message once each", async () => {
    const { discord, assistant, t } = await startDiscordBridge();
    const first = await askInChannelParsed(discord, "warm up");
    const thread = first.asked.id;

    assistant.injectFaults({ kind: "slow", delayMs: 200 });
    const inFlight = waitForEvent(
      assistant,
      "received",
      (r: { method: string; path: string }) => r.method === "POST" && r.path.startsWith("/bot/"),
    );
    discord.userSays("asked just before the drop", { channelId: thread });
    await inFlight;

    const reconnecting = waitForEvent(discord.gateway, "hello");
    const resumed = waitForEvent<{ replayed: number }>(discord.gateway, "resume");
    await discord.forceDisconnect(4000);
    discord.userSays("asked while the link was down", { channelId: thread });
    await reconnecting;
    expect((await resumed).replayed).toBeGreaterThanOrEqual(1);

    const missed = await discord.nextBotMessage((m) => m.text.endsWith("asked while the link was down"));
    const beforeDrop = answersTo(discord, thread, "asked just before the drop");
    expect(beforeDrop).toHaveLength(1);
    expect(parseReply(beforeDrop[0]!.text)).toMatchObject({ sessionId: first.parsed.sessionId, turn: 2 });
    expect(parseReply(missed.text)).toMatchObject({ sessionId: first.parsed.sessionId, turn: 3 });

    discord.userSays("and after the resume", { channelId: thread });
    await discord.nextBotMessage((m) => m.text.endsWith("and after the resume"));
    expect(answersTo(discord, thread, "asked while the link was down")).toHaveLength(1);
    expect(answersTo(discord, thread, "asked just before the drop")).toHaveLength(1);
    expect(chatRequests(assistant)).toHaveLength(4);
    expect(await discordMessagesIn(t)).toBe(4);
  });

  it("answers a message Discord delivers twice only once", async () => {
    const { discord, assistant } = await startDiscordBridge();
    const asked = discord.userSaysInDm("say this once");
    await discord.nextBotMessage((m) => m.text.endsWith("say this once"));
    redeliver(discord, asked);
    discord.userSaysInDm("next question");
    await discord.nextBotMessage((m) => m.text.endsWith("next question"));

    expect(answersTo(discord, asked.channel_id, "say this once")).toHaveLength(1);
    expect(chatRequests(assistant)).toHaveLength(2);
  });
});

describe("Discord through the bridge: the assistant side speaks up", () => {
  it("posts a signed agent message for a thread's session into that thread", async () => {
    const { discord, t } = await startDiscordBridge({ http: true });
    const { asked, parsed } = await askInChannelParsed(discord, "I need a human");

    const sent = await t.assistant.sendWebhook(
      `${t.bridge.url}/webhooks/mygpt`,
      t.assistant.makeMessageEvent(parsed.sessionId, "agent", "Hi, Sam from support here."),
    );
    expect(sent.status).toBe(202);
    const posted = await discord.nextBotMessage((m) => m.text === "Hi, Sam from support here.");
    expect(posted.channelId).toBe(asked.id);
    expect(posted.pings).toEqual([]);
  });
});

/**
 * Sends a user's DM again as a second MESSAGE_CREATE, as Discord may after a resume. (discord.js
 * drops a message id already in its cache; the relay's own dedupe covers a restarted process.)
 */
function redeliver(discord: DiscordEmulator, message: DiscordMessage): void {
  discord.gateway.dispatch("MESSAGE_CREATE", { ...message, channel_type: 1 });
}
