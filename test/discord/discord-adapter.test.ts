// What Discord users notice from the bridge's Discord adapter, driven through the real discord.js
// client against the Discord emulator: where replies go, what reaches the relay, slash commands,
// limits, pings, typing, rate limits and a dropped gateway link.
import { PermissionFlagsBits } from "discord.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { discordInviteUrl } from "../../adapters/discord/invite.js";
import { DeliveryError } from "../../src/errors.js";
import { RecordingSink } from "../support/adapter-contract.js";
import { waitForEvent } from "../support/events.js";
import { type DiscordHarness, makeDiscordHarness } from "./harness.js";

let harness: DiscordHarness | undefined;

async function started(...args: Parameters<typeof makeDiscordHarness>) {
  harness = await makeDiscordHarness(...args);
  const sink = new RecordingSink();
  await harness.adapter.start(sink);
  return { h: harness, emu: harness.emulator, adapter: harness.adapter, sink };
}

afterEach(async () => {
  vi.useRealTimers();
  await harness?.adapter.stop();
  await harness?.close();
  harness = undefined;
});

async function rejection(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

describe("Discord conversations", () => {
  it("answers a channel mention in a new thread started from that message", async () => {
    const { emu, adapter, sink } = await started();
    const asked = emu.userSays("what is a snowflake?", { mentionBot: true });
    const msg = await sink.next((m) => m.messageId === asked.id);
    expect(msg.text).toBe("what is a snowflake?");
    expect(msg.addressesBot).toBe(true);
    expect(msg.conversation).toEqual({
      platform: "discord",
      workspaceId: emu.guildId,
      channelId: asked.id,
      parentChannelId: emu.channelId,
    });

    await adapter.send(msg.replyTarget, "A unique **id**.");
    const thread = emu.channels.get(asked.id);
    expect(thread?.parent_id).toBe(emu.channelId);
    expect(thread?.name).toBe("what is a snowflake?");
    const reply = await emu.nextBotMessage((m) => m.text === "A unique **id**.");
    expect(reply.channelId).toBe(asked.id);
  });

  it("keeps a follow-up in the bot's thread, without a mention, in the same conversation", async () => {
    const { emu, adapter, sink } = await started();
    const asked = emu.userSays("start here", { mentionBot: true });
    const first = await sink.next((m) => m.messageId === asked.id);
    const threadCreated = waitForEvent(emu, "threadCreated");
    await adapter.send(first.replyTarget, "first answer");
    await threadCreated;

    const followUp = emu.userSays("and then?", { channelId: asked.id });
    const second = await sink.next((m) => m.messageId === followUp.id);
    expect(second.addressesBot).toBe(false);
    expect(second.isDirect).toBe(false);
    expect(second.conversation).toEqual(first.conversation);

    await adapter.send(second.replyTarget, "second answer");
    const reply = await emu.nextBotMessage((m) => m.text === "second answer");
    expect(reply.channelId).toBe(asked.id);
  });

  it("posts every chunk of a long answer into one thread", async () => {
    const { emu, adapter, sink } = await started();
    const threads: unknown[] = [];
    emu.on("threadCreated", (t) => threads.push(t));
    emu.userSays("tell me everything", { mentionBot: true });
    const msg = await sink.next((m) => m.text === "tell me everything");
    await adapter.send(msg.replyTarget, "part one");
    await adapter.send(msg.replyTarget, "part two");
    expect(threads).toHaveLength(1);
    const parts = emu.sent.filter((m) => m.text.startsWith("part"));
    expect(parts.map((m) => m.channelId)).toEqual([msg.conversation.channelId, msg.conversation.channelId]);
  });

  it("treats a mention of the bot's role like a mention of the bot", async () => {
    const { emu, sink } = await started();
    const asked = emu.userSays("role ping", { mentionBotRole: true });
    const msg = await sink.next((m) => m.messageId === asked.id);
    expect(msg.addressesBot).toBe(true);
    expect(msg.text).toBe("role ping");
  });

  it("in reply mode answers with a reply to the message in the channel", async () => {
    const { emu, adapter, sink } = await started({ replyMode: "reply" });
    const asked = emu.userSays("reply to me", { mentionBot: true });
    const msg = await sink.next((m) => m.messageId === asked.id);
    expect(msg.conversation).toEqual({
      platform: "discord",
      workspaceId: emu.guildId,
      channelId: emu.channelId,
      threadId: asked.id,
    });
    await adapter.send(msg.replyTarget, "replied");
    const reply = await emu.nextBotMessage((m) => m.text === "replied");
    expect(reply.channelId).toBe(emu.channelId);
    expect(reply.replyTo).toBe(asked.id);
    expect(emu.channels.has(asked.id)).toBe(false);
  });

  it("answers a DM as a direct conversation of its own", async () => {
    const { emu, sink } = await started();
    const dm = emu.userSaysInDm("hi bot");
    const msg = await sink.next((m) => m.messageId === dm.id);
    expect(msg.isDirect).toBe(true);
    expect(msg.conversation).toEqual({ platform: "discord", workspaceId: "@dm", channelId: dm.channel_id });
    expect(msg.author).toMatchObject({ id: emu.human.id, name: "Alice A.", isBot: false });
  });

  it("ignores channel chatter, other bots, its own posts, system messages and edits", async () => {
    const { emu, adapter, sink } = await started();
    const chatter = emu.userSays("just chatting");
    emu.otherBotSays("beep");
    emu.memberJoins();
    emu.userEdits(chatter, `<@${emu.bot.id}> edited into a mention`);
    const dm = emu.userSaysInDm("marker");
    const marker = await sink.next((m) => m.messageId === dm.id);
    await adapter.send(marker.replyTarget, "my own words");
    await emu.nextBotMessage((m) => m.text === "my own words");
    const dm2 = emu.userSaysInDm("second marker");
    await sink.next((m) => m.messageId === dm2.id);
    expect(sink.messages.map((m) => m.text)).toEqual(["marker", "second marker"]);
  });
});

describe("Discord slash commands", () => {
  it("registers /ask, /reset and /help globally at startup", async () => {
    const { emu } = await started();
    const names = (emu.commands.get("global") as Array<{ name: string }>).map((c) => c.name);
    expect(names.sort()).toEqual(["ask", "help", "reset"]);
  });

  it("registers the commands in the dev guild only when one is configured", async () => {
    const { emu } = await started((emulator) => ({ devGuildId: emulator.guildId }));
    expect(emu.commands.has(emu.guildId)).toBe(true);
    expect(emu.commands.has("global")).toBe(false);
  });

  it("/ask shows 'thinking', then the answer replaces it and further chunks follow up", async () => {
    const { emu, adapter, sink } = await started();
    const deferred = waitForEvent<{ ephemeral: boolean }>(emu, "interactionDeferred");
    const interaction = emu.userRunsCommand("ask", { question: "why is the sky blue?" });
    expect((await deferred).ephemeral).toBe(false);
    const msg = await sink.next((m) => m.text === "why is the sky blue?");
    expect(msg.addressesBot).toBe(true);
    expect(msg.messageId).toBe(interaction.id);
    expect(msg.conversation).toEqual({
      platform: "discord",
      workspaceId: emu.guildId,
      channelId: emu.channelId,
    });

    await adapter.send(msg.replyTarget, "Rayleigh scattering.");
    await adapter.send(msg.replyTarget, "More detail.");
    const first = await emu.nextBotMessage((m) => m.text === "Rayleigh scattering.");
    const second = await emu.nextBotMessage((m) => m.text === "More detail.");
    expect(first.via).toBe("interaction-edit");
    expect(second.via).toBe("followup");
    expect(interaction.original?.content).toBe("Rayleigh scattering.");
  });

  it("/ask answered after the interaction token expired is posted in the channel instead", async () => {
    const { emu, adapter, sink } = await started();
    const interaction = emu.userRunsCommand("ask", { question: "slow one" });
    const msg = await sink.next((m) => m.text === "slow one");
    emu.expireInteraction(interaction);
    await adapter.send(msg.replyTarget, "late answer");
    const reply = await emu.nextBotMessage((m) => m.text === "late answer");
    expect(reply.via).toBe("channel");
    expect(reply.channelId).toBe(emu.channelId);
  });

  it("/reset and /help answer only the user who used them", async () => {
    const { emu, sink } = await started();
    emu.userRunsCommand("reset");
    const reset = await emu.nextBotMessage((m) => m.text === "Started a new conversation.");
    expect(reset.ephemeral).toBe(true);
    expect(sink.commands[0]).toMatchObject({
      name: "reset",
      conversation: { platform: "discord", workspaceId: emu.guildId, channelId: emu.channelId },
      author: { id: emu.human.id, isBot: false },
    });
    emu.userRunsCommand("help", {}, { dm: true });
    const help = await emu.nextBotMessage((m) => m.text === "help text");
    expect(help.ephemeral).toBe(true);
    expect(sink.commands[1]?.conversation.workspaceId).toBe("@dm");
  });
});

describe("Discord delivery", () => {
  it("posts a 2000-character chunk and refuses a 2001-character one without retrying", async () => {
    const { emu, adapter, sink } = await started();
    emu.userSaysInDm("long please");
    const msg = await sink.next((m) => m.text === "long please");
    expect(adapter.maxMessageLength).toBe(2000);
    await adapter.send(msg.replyTarget, `${"a".repeat(1999)}!`);
    await emu.nextBotMessage((m) => m.text.length === 2000);
    const error = await rejection(adapter.send(msg.replyTarget, "b".repeat(2001)));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("Invalid Form Body");
  });

  it("a reply from the assistant cannot ping @everyone, roles or users", async () => {
    const { emu, adapter, sink } = await started();
    emu.userSays("ping test", { mentionBot: true });
    const msg = await sink.next((m) => m.text === "ping test");
    await adapter.send(msg.replyTarget, `Hey @everyone and @here, <@${emu.human.id}> <@&${emu.botRole.id}>`);
    const reply = await emu.nextBotMessage((m) => m.text.startsWith("Hey @everyone"));
    expect(reply.pings).toEqual([]);
  });

  it("shows typing in the channel while the thread does not exist yet, renewing every 8 seconds", async () => {
    const { emu, adapter, sink } = await started();
    const asked = emu.userSays("think hard", { mentionBot: true });
    const msg = await sink.next((m) => m.messageId === asked.id);
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const typing = adapter.startTyping(msg.replyTarget);
    await emu.nextTyping(emu.channelId);
    const renewed = waitForEvent(emu, "typing");
    vi.advanceTimersByTime(8_000);
    await renewed;
    typing.stop();
    const count = emu.typing.length;
    vi.advanceTimersByTime(30_000);
    expect(emu.typing.length).toBe(count);
    vi.useRealTimers();

    await adapter.send(msg.replyTarget, "done thinking");
    const inThread = adapter.startTyping(msg.replyTarget);
    await emu.nextTyping(asked.id);
    inThread.stop();
  });

  it("waits out a 429 on a send and delivers the reply once", async () => {
    const { emu, adapter, sink } = await started();
    emu.userSaysInDm("busy?");
    const msg = await sink.next((m) => m.text === "busy?");
    emu.rateLimitNext("POST", /^\/channels\/\d+\/messages$/, 1, 300);
    const limited = waitForEvent(emu, "rateLimited");
    await adapter.send(msg.replyTarget, "after the limit");
    await limited;
    expect(emu.sent.filter((m) => m.text === "after the limit")).toHaveLength(1);
  });

  it("fails a send as retryable when Discord asks for a longer wait than allowed", async () => {
    const { emu, adapter, sink } = await started({ maxRateLimitWaitMs: 100 });
    emu.userSaysInDm("very busy?");
    const msg = await sink.next((m) => m.text === "very busy?");
    emu.rateLimitNext("POST", /^\/channels\/\d+\/messages$/, 1, 5_000);
    const error = await rejection(adapter.send(msg.replyTarget, "never"));
    expect(error.retryable).toBe(true);
    expect(error.options.retryAfterMs).toBeGreaterThanOrEqual(5_000);
  });

  it("fails a send without retry where the bot lacks permission, and leaks no token", async () => {
    const { emu, adapter, sink } = await started();
    emu.userSaysInDm("forbidden");
    const msg = await sink.next((m) => m.text === "forbidden");
    emu.forbiddenChannels.add(msg.conversation.channelId);
    const error = await rejection(adapter.send(msg.replyTarget, "nope"));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("Missing Permissions");
    expect(JSON.stringify({ m: error.message, c: String(error.cause) })).not.toContain(emu.token);
  });

  it("fails a send as retryable when Discord cannot be reached", async () => {
    const { emu, adapter, sink } = await started();
    emu.userSaysInDm("then it went down");
    const msg = await sink.next((m) => m.text === "then it went down");
    await emu.close();
    const error = await rejection(adapter.send(msg.replyTarget, "lost?"));
    expect(error.retryable).toBe(true);
  });
});

describe("Discord gateway link", () => {
  it("a message sent while the link was down reaches the relay exactly once after resume", async () => {
    const { emu, adapter, sink } = await started();
    const reconnecting = waitForEvent(emu.gateway, "hello");
    await emu.forceDisconnect(4000);
    const missed = emu.userSays("while you were away", { mentionBot: true });
    await reconnecting;
    expect(adapter.isReady()).toBe(false);
    const resumed = await waitForEvent<{ replayed: number }>(emu.gateway, "resume");
    expect(resumed.replayed).toBe(1);
    await sink.next((m) => m.messageId === missed.id);
    const after = emu.userSaysInDm("after resume");
    const afterMsg = await sink.next((m) => m.messageId === after.id);
    expect(sink.messages.filter((m) => m.messageId === missed.id)).toHaveLength(1);
    expect(adapter.isReady()).toBe(true);
    await adapter.send(afterMsg.replyTarget, "still here");
    await emu.nextBotMessage((m) => m.text === "still here");
  });

  it("resumes when Discord asks it to reconnect", async () => {
    const { emu, sink } = await started();
    const resumed = waitForEvent(emu.gateway, "resume");
    emu.gateway.requestReconnect();
    await resumed;
    const dm = emu.userSaysInDm("after op 7");
    await sink.next((m) => m.messageId === dm.id);
  });
});

describe("Discord setup", () => {
  it("the invite URL asks for the bot and commands scopes and exactly the needed permissions", () => {
    const url = new URL(discordInviteUrl("123456789"));
    expect(url.searchParams.get("client_id")).toBe("123456789");
    expect(url.searchParams.get("scope")?.split(" ").sort()).toEqual(["applications.commands", "bot"]);
    const permissions = BigInt(url.searchParams.get("permissions") ?? "0");
    const needed =
      PermissionFlagsBits.ViewChannel |
      PermissionFlagsBits.SendMessages |
      PermissionFlagsBits.SendMessagesInThreads |
      PermissionFlagsBits.CreatePublicThreads |
      PermissionFlagsBits.ReadMessageHistory;
    expect(permissions).toBe(needed);
  });

  it("doctor accepts a good token and confirms the Message Content intent", async () => {
    harness = await makeDiscordHarness();
    const checks = await harness.adapter.doctor!();
    expect(checks.map((c) => c.ok)).toEqual([true, true]);
    expect(checks[0]?.detail).toContain("mygpt-bot");
  });

  it("doctor explains how to get a new token when Discord rejects it", async () => {
    harness = await makeDiscordHarness({ token: "wrong.token.value" });
    const checks = await harness.adapter.doctor!();
    expect(checks[0]?.ok).toBe(false);
    expect(checks[0]?.fix).toContain("Reset Token");
    expect(JSON.stringify(checks)).not.toContain("wrong.token.value");
  });

  it("doctor explains the Message Content intent when it is off", async () => {
    harness = await makeDiscordHarness({}, { applicationFlags: 0 });
    const checks = await harness.adapter.doctor!();
    expect(checks[1]?.ok).toBe(false);
    expect(checks[1]?.fix).toContain("Message Content Intent");
  });

  it("refuses to start with a rejected token, without echoing it", async () => {
    harness = await makeDiscordHarness({ token: "wrong.token.value" });
    const error = await harness.adapter.start(new RecordingSink()).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toContain("wrong.token.value");
    expect(harness.adapter.isReady()).toBe(false);
  });

  it("refuses to start when the Message Content intent is off in the Developer Portal", async () => {
    harness = await makeDiscordHarness({}, { applicationFlags: 0 });
    const error = await harness.adapter.start(new RecordingSink()).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/intent/i);
  });
});
