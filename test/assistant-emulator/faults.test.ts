import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AssistantEmulator,
  type RecordedRequest,
  startAssistantEmulator,
} from "../emulators/assistant/index.js";
import { waitForEvent } from "../support/events.js";
import { call, chat } from "./http.js";

let emulator: AssistantEmulator;
beforeEach(async () => {
  emulator = await startAssistantEmulator();
});
afterEach(() => emulator.close());

const unanswered = (r: RecordedRequest) => r.status === 0;

describe("injected faults", () => {
  it.each([
    ["RATE_LIMIT_EXCEEDED", 429],
    ["INVALID_API_KEY", 401],
    ["BOT_NOT_FOUND", 404],
    ["INVALID_REQUEST", 400],
    ["INTERNAL_ERROR", 500],
  ] as const)("an injected %s answers %i in the error envelope", async (code, status) => {
    emulator.injectFaults({ kind: "error", code });
    const res = await chat(emulator, { message: "hi" });
    expect(res.status).toBe(status);
    expect(res.json).toEqual({ success: false, data: null, error: { code, message: expect.any(String) } });
    expect(res.headers.get("x-ratelimit-limit")).toBe("100");
    expect(emulator.requests.at(-1)).toMatchObject({ status, errorCode: code });
  });

  it("an injected 429 carries Retry-After and a Reset that far ahead, and is not counted", async () => {
    emulator.injectFaults({ kind: "error", code: "RATE_LIMIT_EXCEEDED", retryAfterSeconds: 7 });
    const before = Math.ceil(Date.now() / 1000);
    const res = await chat(emulator, { message: "hi" });
    expect(res.headers.get("retry-after")).toBe("7");
    expect(res.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(res.headers.get("x-ratelimit-reset"))).toBeGreaterThanOrEqual(before + 7);
    expect(emulator.requests.at(-1)?.counted).toBe(false);
    const next = await chat(emulator, { message: "again" });
    expect(next.headers.get("x-ratelimit-remaining")).toBe("99");
  });

  it("an injected INTERNAL_ERROR counts against the limit, as an accepted call that failed", async () => {
    emulator.injectFaults({ kind: "error", code: "INTERNAL_ERROR" });
    const res = await chat(emulator, { message: "hi" });
    expect(res.headers.get("x-ratelimit-remaining")).toBe("99");
    expect(emulator.requests.at(-1)?.counted).toBe(true);
  });

  it("an error fault can carry its own status and message", async () => {
    emulator.injectFaults({ kind: "error", code: "INTERNAL_ERROR", status: 503, message: "maintenance" });
    const res = await chat(emulator, { message: "hi" });
    expect(res.status).toBe(503);
    expect(res.json.error).toEqual({ code: "INTERNAL_ERROR", message: "maintenance" });
  });

  it("faults are used one per chat or data request, in order, then the server answers normally", async () => {
    emulator.injectFaults(
      { kind: "error", code: "INTERNAL_ERROR" },
      { kind: "non-json" },
      { kind: "error", code: "BOT_NOT_FOUND" },
    );
    await call(emulator, "GET", "/unknown-route"); // not an API call: takes no fault
    const statuses = [
      (await chat(emulator, { message: "1" })).status,
      (await call(emulator, "GET", "/contacts?externalId=a")).status,
      (await chat(emulator, { message: "3" })).status,
      (await chat(emulator, { message: "4" })).status,
    ];
    expect(statuses).toEqual([500, 502, 404, 200]);
  });

  it("a non-json fault answers a proxy's HTML page with no envelope", async () => {
    emulator.injectFaults({ kind: "non-json" }, { kind: "non-json", status: 504 });
    const first = await chat(emulator, { message: "hi" });
    expect(first.status).toBe(502);
    expect(first.headers.get("content-type")).toMatch(/^text\/html/);
    expect(first.json).toBeUndefined();
    expect(first.text).toContain("Bad Gateway");
    expect((await chat(emulator, { message: "hi" })).status).toBe(504);
    expect(emulator.requests.every((r) => !r.counted)).toBe(true);
  });

  it("a slow fault answers normally, only late: a later request overtakes it", async () => {
    emulator.injectFaults({ kind: "slow", delayMs: 300 });
    const started = performance.now();
    const order: string[] = [];
    const slow = chat(emulator, { message: "slow", sessionId: "s" }).then((res) => {
      order.push("slow");
      return res;
    });
    await waitForEvent(emulator, "received");
    const fast = await chat(emulator, { message: "fast" });
    order.push("fast");
    const slowRes = await slow;
    expect(order).toEqual(["fast", "slow"]);
    expect(fast.status).toBe(200);
    expect(slowRes.status).toBe(200);
    expect(slowRes.json.data.response).toBe("[session s turn 1] slow");
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("a hung request never answers; the client's abort ends it and it is logged unanswered", async () => {
    emulator.injectFaults({ kind: "hang" });
    const controller = new AbortController();
    const hung = fetch(`${emulator.url}/bot/bot-1`, {
      method: "POST",
      headers: { authorization: `Bearer ${emulator.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ message: "hi" }),
      signal: controller.signal,
    });
    const settled = hung.then(
      () => "answered",
      () => "failed",
    );
    await waitForEvent(emulator, "received");
    expect((await chat(emulator, { message: "meanwhile" })).status).toBe(200);
    const logged = waitForEvent<RecordedRequest>(emulator, "request", unanswered);
    controller.abort();
    expect(await settled).toBe("failed");
    expect(await logged).toMatchObject({ status: 0, counted: false, kind: "chat" });
  });

  it("close() ends a hung request", async () => {
    emulator.injectFaults({ kind: "hang" });
    const hung = chat(emulator, { message: "hi" }).then(
      () => "answered",
      () => "failed",
    );
    await waitForEvent(emulator, "received");
    await emulator.close();
    expect(await hung).toBe("failed");
  });

  it("a dropped request loses its connection with no response", async () => {
    emulator.injectFaults({ kind: "drop" });
    const logged = waitForEvent<RecordedRequest>(emulator, "request", unanswered);
    await expect(chat(emulator, { message: "hi" })).rejects.toThrow(/fetch failed/);
    expect(await logged).toMatchObject({ status: 0, counted: false });
    expect((await chat(emulator, { message: "after" })).status).toBe(200);
  });
});
