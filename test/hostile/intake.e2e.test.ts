// Odd messages users send, through each platform's real SDK, the bridge and the emulators: empty and
// invisible-only text is ignored, a bare mention gets the short help, files get one clear note (and
// the text sent with them is still answered); none of these costs an assistant call.
import { afterEach, describe, expect, it } from "vitest";
import { REPLIES } from "../../src/relay/replies.js";
import { botTexts, type SlackBridge, shown, startSlackBridge } from "../e2e/slack-helpers.js";
import { posted, startTelegramBridge, type TelegramBridge } from "../e2e/telegram-helpers.js";
import { chatCalls, chatRequests } from "../support/platform-bridge.js";
import { type DiscordBridge, startDiscordBridge } from "./discord-bridge.js";

const open: Array<SlackBridge | TelegramBridge | DiscordBridge> = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.close();
});

const INVISIBLE = "\u200B\u200C\u200D\u2060\uFEFF";
/** What reached the assistant, message by message. */
const asked = (b: { assistant: SlackBridge["assistant"] }) =>
  chatRequests(b.assistant).map((r) => (r.body as { message: string }).message);
const isAnswer = (text: string, question: string) =>
  /^\[session \S+ turn \d+\] /.test(text) && text.endsWith(question);

describe("Slack: odd messages", () => {
  async function start() {
    const b = await startSlackBridge("socket");
    open.push(b);
    return b;
  }

  it("a bare @mention gets the short help and costs no assistant call", async () => {
    const b = await start();
    const { ts } = await b.slack.userSays(b.user, b.channel, b.slack.mention());
    const help = await shown(b.slack, (m) => m.text.includes("/reset"));
    expect(help.threadTs).toBe(ts);
    expect(chatCalls(b.assistant)).toBe(0);
  });

  it("whitespace-only and zero-width-only messages are ignored: no answer, no apology, no call", async () => {
    const b = await start();
    await b.slack.userSays(b.user, b.dm, "   \n\t ");
    await b.slack.userSays(b.user, b.dm, INVISIBLE);
    await b.slack.userSays(b.user, b.dm, "a real question");
    await shown(b.slack, (m) => isAnswer(m.text, "a real question"));
    await b.t.bridge.relay.whenIdle();
    expect(asked(b)).toEqual(["a real question"]);
    expect(botTexts(b.slack, b.dm.id)).toHaveLength(1);
  });

  it("a file alone gets the files note; text with a file is answered and noted", async () => {
    const b = await start();
    await b.slack.userSays(b.user, b.dm, "", { files: ["chart.png"] });
    await shown(b.slack, (m) => m.text === REPLIES.filesNote);
    await b.slack.userSays(b.user, b.dm, "what does my chart say?", { files: ["chart.png"] });
    await shown(b.slack, (m) => isAnswer(m.text, "what does my chart say?"));
    await b.t.bridge.relay.whenIdle();
    expect(b.slack.sent.filter((m) => m.text === REPLIES.filesNote)).toHaveLength(2);
    expect(chatCalls(b.assistant)).toBe(1);
  });
});

describe("Telegram: odd messages", () => {
  async function start() {
    const b = await startTelegramBridge("polling");
    open.push(b);
    return b;
  }

  it("a bare @mention in a group gets the short help and costs no assistant call", async () => {
    const b = await start();
    b.telegram.userSays(b.group, b.user, b.mention);
    const help = await posted(b.telegram, (m) => m.text.includes("/reset"));
    expect(help.chatId).toBe(b.group.id);
    expect(chatCalls(b.assistant)).toBe(0);
  });

  it("a zero-width-only message is ignored: no answer, no apology, no call", async () => {
    const b = await start();
    b.telegram.userSays(b.dm, b.user, INVISIBLE);
    b.telegram.userSays(b.dm, b.user, "a real question");
    await posted(b.telegram, (m) => isAnswer(m.text, "a real question"));
    await b.t.bridge.relay.whenIdle();
    expect(asked(b)).toEqual(["a real question"]);
    expect(b.telegram.sent).toHaveLength(1);
  });

  it("a photo alone gets the files note; a photo with a caption is answered and noted", async () => {
    const b = await start();
    b.telegram.userSendsMedia(b.dm, b.user, "photo");
    await posted(b.telegram, (m) => m.text === REPLIES.filesNote);
    b.telegram.userSendsMedia(b.dm, b.user, "photo", { caption: "what is in this picture?" });
    await posted(b.telegram, (m) => isAnswer(m.text, "what is in this picture?"));
    await b.t.bridge.relay.whenIdle();
    expect(b.telegram.sent.filter((m) => m.text === REPLIES.filesNote)).toHaveLength(2);
    expect(chatCalls(b.assistant)).toBe(1);
  });
});

describe("Discord: odd messages", () => {
  async function start() {
    const b = await startDiscordBridge();
    open.push(b);
    return b;
  }

  it("a bare @mention gets the short help and costs no assistant call", async () => {
    const b = await start();
    b.discord.userSays("", { mentionBot: true });
    await b.discord.nextBotMessage((m) => m.text.includes("/reset"));
    expect(chatCalls(b.assistant)).toBe(0);
  });

  it("a zero-width-only DM is ignored: no answer, no apology, no call", async () => {
    const b = await start();
    b.discord.userSaysInDm(INVISIBLE);
    b.discord.userSaysInDm("a real question");
    await b.discord.nextBotMessage((m) => isAnswer(m.text, "a real question"));
    await b.t.bridge.relay.whenIdle();
    expect(asked(b)).toEqual(["a real question"]);
    expect(b.discord.sent).toHaveLength(1);
  });

  it("a file alone gets the files note; text with a file is answered and noted", async () => {
    const b = await start();
    b.discord.userSaysInDm("", undefined, { attachments: ["chart.png"] });
    await b.discord.nextBotMessage((m) => m.text === REPLIES.filesNote);
    b.discord.userSaysInDm("what does my chart say?", undefined, { attachments: ["chart.png"] });
    await b.discord.nextBotMessage((m) => isAnswer(m.text, "what does my chart say?"));
    await b.t.bridge.relay.whenIdle();
    expect(b.discord.sent.filter((m) => m.text === REPLIES.filesNote)).toHaveLength(2);
    expect(chatCalls(b.assistant)).toBe(1);
  });
});
