import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AssistantEmulator,
  MAX_MESSAGE_CHARS,
  startAssistantEmulator,
} from "../emulators/assistant/index.js";
import { call, chat } from "./http.js";

let emulator: AssistantEmulator;
beforeEach(async () => {
  emulator = await startAssistantEmulator();
});
afterEach(() => emulator.close());

describe("chat endpoint", () => {
  it("answers a message in the documented success envelope", async () => {
    const res = await chat(emulator, { message: "hello" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.json).toEqual({
      success: true,
      data: { response: expect.stringContaining("hello"), conversationId: "conv_1", messageId: "msg_1" },
      error: null,
    });
  });

  it("remembers a session: the turn counts up and the conversation stays the same", async () => {
    const first = await chat(emulator, { message: "one", sessionId: "brg_a" });
    const second = await chat(emulator, { message: "two", sessionId: "brg_a" });
    const other = await chat(emulator, { message: "three", sessionId: "brg_b" });
    expect(first.json.data.response).toBe("[session brg_a turn 1] one");
    expect(second.json.data.response).toBe("[session brg_a turn 2] two");
    expect(second.json.data.conversationId).toBe(first.json.data.conversationId);
    expect(other.json.data.response).toBe("[session brg_b turn 1] three");
    expect(other.json.data.conversationId).not.toBe(first.json.data.conversationId);
    expect(new Set([first, second, other].map((r) => r.json.data.messageId)).size).toBe(3);
  });

  it("starts a new session for every message without a sessionId", async () => {
    const a = await chat(emulator, { message: "x" });
    const b = await chat(emulator, { message: "y" });
    expect(a.json.data.response).toBe("[session sess_1 turn 1] x");
    expect(b.json.data.response).toBe("[session sess_2 turn 1] y");
  });

  it("lets a test choose the reply text", async () => {
    emulator.setRespond(({ botId, turn, message }) => `${botId}/${turn}: ${message.toUpperCase()}`);
    expect((await chat(emulator, { message: "hi" })).json.data.response).toBe("bot-1/1: HI");
    emulator.setRespond();
    expect((await chat(emulator, { message: "hi" })).json.data.response).toMatch(/^\[session/);
  });

  it("a failing responder answers 500 INTERNAL_ERROR", async () => {
    emulator.setRespond(() => {
      throw new Error("model down");
    });
    const res = await chat(emulator, { message: "hi" });
    expect(res.status).toBe(500);
    expect(res.json.error.code).toBe("INTERNAL_ERROR");
  });
});

describe("auth and validation errors", () => {
  it.each([
    ["missing", null],
    ["unknown", "wrong-key"],
  ])("an %s API key gets 401 INVALID_API_KEY in the error envelope and is not counted", async (_, apiKey) => {
    const res = await chat(emulator, { message: "hi" }, { apiKey });
    expect(res.status).toBe(401);
    expect(res.json).toEqual({
      success: false,
      data: null,
      error: { code: "INVALID_API_KEY", message: expect.any(String) },
    });
    expect(res.headers.get("x-ratelimit-limit")).toBe("100");
    expect(emulator.requests.at(-1)).toMatchObject({
      status: 401,
      errorCode: "INVALID_API_KEY",
      counted: false,
    });
  });

  it("an unknown bot gets 404 BOT_NOT_FOUND and still counts against the limit", async () => {
    const res = await chat(emulator, { message: "hi" }, { botId: "nope" });
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe("BOT_NOT_FOUND");
    expect(res.headers.get("x-ratelimit-remaining")).toBe("99");
    expect(emulator.requests.at(-1)).toMatchObject({ path: "/bot/nope", kind: "chat", counted: true });
  });

  it.each([
    ["no message", { sessionId: "s" }],
    ["an empty message", { message: "  " }],
    ["a message that is not a string", { message: 42 }],
    ["a message over the length cap", { message: "x".repeat(MAX_MESSAGE_CHARS + 1) }],
    ["a sessionId that is not a string", { message: "hi", sessionId: 7 }],
    ["an unknown field", { message: "hi", sesionId: "typo" }],
    ["a JSON array", ["hi"]],
  ])("a body with %s gets 400 INVALID_REQUEST, counted", async (_, body) => {
    const res = await chat(emulator, body);
    expect(res.status).toBe(400);
    expect(res.json.success).toBe(false);
    expect(res.json.error.code).toBe("INVALID_REQUEST");
    expect(emulator.requests.at(-1)?.counted).toBe(true);
  });

  it("a message exactly at the length cap is accepted", async () => {
    expect((await chat(emulator, { message: "x".repeat(MAX_MESSAGE_CHARS) })).status).toBe(200);
  });

  it("invalid JSON and a wrong content type get 400 INVALID_REQUEST", async () => {
    const badJson = await call(emulator, "POST", "/bot/bot-1", { rawBody: "{message:" });
    const wrongType = await call(emulator, "POST", "/bot/bot-1", {
      rawBody: JSON.stringify({ message: "hi" }),
      contentType: "text/plain",
    });
    expect([badJson.status, badJson.json.error.code]).toEqual([400, "INVALID_REQUEST"]);
    expect(badJson.json.error.message).toMatch(/JSON/);
    expect([wrongType.status, wrongType.json.error.code]).toEqual([400, "INVALID_REQUEST"]);
    expect(wrongType.json.error.message).toMatch(/Content-Type/);
  });

  it("an unknown route gets a 404 envelope and is not rate limited", async () => {
    const res = await call(emulator, "GET", "/conversations");
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ success: false, data: null, error: { code: "INVALID_REQUEST" } });
    expect(res.headers.get("x-ratelimit-limit")).toBeNull();
    expect(emulator.requests.at(-1)).toMatchObject({ kind: "other", counted: false, path: "/conversations" });
  });
});

describe("request log", () => {
  it("records each request and emits it after the response", async () => {
    const seen = new Promise((resolve) => emulator.once("request", resolve));
    await chat(emulator, { message: "logged", sessionId: "s1" });
    expect(await seen).toEqual({
      at: expect.any(Number),
      method: "POST",
      path: "/bot/bot-1",
      apiKey: "test-key",
      body: { message: "logged", sessionId: "s1" },
      status: 200,
      errorCode: undefined,
      counted: true,
      kind: "chat",
    });
    expect(emulator.requests).toHaveLength(1);
  });
});
