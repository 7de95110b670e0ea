// Per-user quota and the texts users see, configured in the YAML file, through the real grammY
// adapter, the bridge and the Telegram emulator.
import { afterEach, describe, expect, it } from "vitest";
import { posted, startTelegramBridge, type TelegramBridge } from "../e2e/telegram-helpers.js";
import { chatCalls } from "../support/platform-bridge.js";

const open: TelegramBridge[] = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.close();
});

const isAnswer = (text: string, question: string) =>
  /^\[session \S+ turn \d+\] /.test(text) && text.endsWith(question);

describe("per-user quota", () => {
  it("answers a user's messages up to the quota, tells them once, then stays quiet; others are unaffected", async () => {
    const b = await startTelegramBridge("polling", {
      yaml: "relay:\n  userQuota:\n    messages: 2\n    perMinutes: 10\n",
    });
    open.push(b);
    for (const text of ["one", "two"]) {
      b.telegram.userSays(b.dm, b.user, text);
      await posted(b.telegram, (m) => isAnswer(m.text, text));
    }
    b.telegram.userSays(b.dm, b.user, "three");
    const notice = await posted(b.telegram, (m) => m.text.includes("2 every 10 minutes"));
    expect(notice.chatId).toBe(b.dm.id);
    b.telegram.userSays(b.dm, b.user, "four");
    const other = b.telegram.createUser({ first_name: "Grace" });
    b.telegram.userSays(b.telegram.privateChat(other), other, "from someone else");
    await posted(b.telegram, (m) => isAnswer(m.text, "from someone else"));
    await b.t.bridge.relay.whenIdle();
    expect(chatCalls(b.assistant)).toBe(3);
    expect(b.telegram.sent.filter((m) => m.text.includes("every 10 minutes"))).toHaveLength(1);
    expect(b.telegram.sent.some((m) => m.text.endsWith("three") || m.text.endsWith("four"))).toBe(false);
  });

  it("is off by default", async () => {
    const b = await startTelegramBridge("polling");
    open.push(b);
    for (let i = 0; i < 25; i++) {
      b.telegram.userSays(b.dm, b.user, `message ${i}`);
      await posted(b.telegram, (m) => isAnswer(m.text, `message ${i}`));
    }
    expect(chatCalls(b.assistant)).toBe(25);
  });
});

describe("texts users see", () => {
  it("come from the config file: globally, and per route (a German group gets German help)", async () => {
    const telegramGroupYaml = (group: number) =>
      [
        "texts:",
        '  filesNote: "Only text, please."',
        "routes:",
        "  - platform: telegram",
        `    channel: "${group}"`,
        "    botId: bot-1",
        "    texts:",
        '      help: "Hilfe: Schreib mir einfach. /reset beginnt neu."',
      ].join("\n");
    // The group's id is made by the emulator, which the helper starts: probe one first.
    const probe = await startTelegramBridge("polling");
    const groupId = probe.group.id;
    await probe.close();
    const b = await startTelegramBridge("polling", { yaml: telegramGroupYaml(groupId) });
    open.push(b);
    expect(b.group.id).toBe(groupId);
    b.telegram.userSays(b.group, b.user, b.mention);
    await posted(b.telegram, (m) => m.text.startsWith("Hilfe:"));
    b.telegram.userSays(b.dm, b.user, "/help");
    const english = await posted(b.telegram, (m) => m.chatId === b.dm.id);
    expect(english.text).toContain("I'm an AI assistant");
    b.telegram.userSendsMedia(b.dm, b.user, "photo");
    await posted(b.telegram, (m) => m.text === "Only text, please.");
    expect(chatCalls(b.assistant)).toBe(0);
  });
});
