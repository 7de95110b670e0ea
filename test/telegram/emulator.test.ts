// The Bot API emulator behaves like Telegram where the bridge depends on it: long polling, offsets,
// webhook conflicts and the documented refusals. Driven with plain HTTP, as any client would.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TelegramEmulator, type TgUpdate } from "../emulators/telegram/emulator.js";
import { waitForEvent } from "../support/events.js";

describe("Telegram Bot API emulator", () => {
  let emulator: TelegramEmulator;
  let root: string;

  beforeEach(async () => {
    emulator = new TelegramEmulator();
    root = await emulator.start();
  });

  afterEach(async () => {
    await emulator.close();
  });

  async function api(method: string, params: Record<string, unknown> = {}, token = emulator.token) {
    const response = await fetch(`${root}/bot${token}/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(params),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it("answers 401 Unauthorized to a wrong token", async () => {
    expect(await api("getMe", {}, "1:wrong")).toEqual({
      status: 401,
      body: { ok: false, error_code: 401, description: "Unauthorized" },
    });
  });

  it("holds a long poll until an update arrives, numbering updates from 1", async () => {
    const user = emulator.createUser();
    const held = waitForEvent(emulator, "pollWaiting");
    const poll = api("getUpdates", { offset: 0, timeout: 30 });
    await held;
    emulator.userSays(emulator.privateChat(user), user, "hi");
    const { body } = await poll;
    expect((body.result as TgUpdate[]).map((u) => [u.update_id, u.message?.text])).toEqual([[1, "hi"]]);
  });

  it("drops confirmed updates below the offset and answers at once with timeout 0", async () => {
    const user = emulator.createUser();
    const chat = emulator.privateChat(user);
    emulator.userSays(chat, user, "one");
    emulator.userSays(chat, user, "two");
    const first = await api("getUpdates", { offset: 0, limit: 1, timeout: 0 });
    expect((first.body.result as TgUpdate[]).map((u) => u.update_id)).toEqual([1]);
    const second = await api("getUpdates", { offset: 2, timeout: 0 });
    expect((second.body.result as TgUpdate[]).map((u) => u.update_id)).toEqual([2]);
    const empty = await api("getUpdates", { offset: 3, timeout: 0 });
    expect(empty.body.result).toEqual([]);
  });

  it("refuses getUpdates with 409 while a webhook is set", async () => {
    await api("setWebhook", { url: "http://127.0.0.1:9/hook", secret_token: "abc" });
    const { status, body } = await api("getUpdates", { timeout: 0 });
    expect(status).toBe(409);
    expect(body.description).toMatch(/^Conflict: can't use getUpdates method while webhook is active/);
  });

  it("refuses malformed HTML, empty text, over-long text and unknown chats like Telegram", async () => {
    const user = emulator.createUser();
    const chat = emulator.privateChat(user).id;
    const send = (params: Record<string, unknown>) => api("sendMessage", { chat_id: chat, ...params });
    expect((await send({ text: "a < b", parse_mode: "HTML" })).body.description).toMatch(
      /^Bad Request: can't parse entities: /,
    );
    expect((await send({ text: "<b>open", parse_mode: "HTML" })).body.description).toMatch(
      /can't parse entities: Can't find end tag/,
    );
    expect((await send({ text: "<u><b>x</u></b>", parse_mode: "HTML" })).status).toBe(400);
    expect((await send({ text: " " })).body.description).toBe("Bad Request: message text is empty");
    expect((await send({ text: "x".repeat(4097) })).body.description).toBe(
      "Bad Request: message is too long",
    );
    expect((await send({ text: `<b>${"x".repeat(4096)}</b>`, parse_mode: "HTML" })).status).toBe(200);
    expect((await api("sendMessage", { chat_id: 42, text: "hi" })).body.description).toBe(
      "Bad Request: chat not found",
    );
  });

  it("returns a full Message for a sent message and records it", async () => {
    const user = emulator.createUser();
    const chat = emulator.privateChat(user);
    const { body } = await api("sendMessage", { chat_id: chat.id, text: "<i>hey</i>", parse_mode: "HTML" });
    expect(body.result).toMatchObject({
      message_id: 1,
      chat: { id: chat.id, type: "private" },
      from: { id: emulator.bot.id, is_bot: true },
      text: "hey",
      entities: [{ type: "italic", offset: 0, length: 3 }],
    });
    expect(emulator.sent).toHaveLength(1);
  });

  it("answers 429 with retry_after for scripted flood control, then recovers", async () => {
    emulator.floodNext("getMe", 7);
    expect((await api("getMe")).body).toEqual({
      ok: false,
      error_code: 429,
      description: "Too Many Requests: retry after 7",
      parameters: { retry_after: 7 },
    });
    expect((await api("getMe")).status).toBe(200);
  });
  it("ends a held long poll with 409 when a second poller starts, like two bot instances", async () => {
    const held = waitForEvent(emulator, "pollWaiting");
    const first = api("getUpdates", { timeout: 30 });
    await held;
    const second = api("getUpdates", { timeout: 0 });
    expect((await first).body.description).toMatch(/^Conflict: terminated by other getUpdates request/);
    expect((await second).status).toBe(200);
  });

  it("edits only the bot's own messages and refuses an edit that changes nothing", async () => {
    const user = emulator.createUser();
    const chat = emulator.privateChat(user);
    const mine = await api("sendMessage", { chat_id: chat.id, text: "draft" });
    const messageId = (mine.body.result as { message_id: number }).message_id;
    const edited = await api("editMessageText", { chat_id: chat.id, message_id: messageId, text: "final" });
    expect(edited.body.result).toMatchObject({ message_id: messageId, text: "final" });
    const same = await api("editMessageText", { chat_id: chat.id, message_id: messageId, text: "final" });
    expect(same.body.description).toMatch(/^Bad Request: message is not modified/);
    const theirs = emulator.userSays(chat, user, "user text");
    const foreign = await api("editMessageText", {
      chat_id: chat.id,
      message_id: theirs.message_id,
      text: "x",
    });
    expect(foreign.body.description).toBe("Bad Request: message to edit not found");
  });

  it("accepts form-encoded parameters as the Bot API does", async () => {
    const user = emulator.createUser();
    const chat = emulator.privateChat(user);
    const response = await fetch(`${root}/bot${emulator.token}/sendMessage`, {
      method: "POST",
      body: new URLSearchParams({ chat_id: String(chat.id), text: "<b>form</b>", parse_mode: "HTML" }),
    });
    expect(((await response.json()) as { result: { text: string } }).result.text).toBe("form");
  });
});
