import { afterEach, describe, expect, it } from "vitest";
import { type AssistantEmulator, startAssistantEmulator } from "../emulators/assistant/index.js";
import { call, chat } from "./http.js";

/** A clock the test moves by hand; starts at a whole second well after the epoch. */
function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    at(ms: number) {
      now = start + ms;
    },
  };
}

let emulator: AssistantEmulator;
afterEach(() => emulator.close());

describe("rate limits", () => {
  it("X-RateLimit-Remaining counts down with each accepted chat call", async () => {
    const clock = manualClock();
    emulator = await startAssistantEmulator({ now: clock.now, chatLimit: { limit: 3, windowMs: 60_000 } });
    const remaining: Array<string | null> = [];
    for (let i = 0; i < 3; i++) {
      const res = await chat(emulator, { message: `m${i}` });
      expect(res.headers.get("x-ratelimit-limit")).toBe("3");
      remaining.push(res.headers.get("x-ratelimit-remaining"));
      clock.advance(1_500);
    }
    expect(remaining).toEqual(["2", "1", "0"]);
  });

  it("X-RateLimit-Reset is the unix second when the oldest call leaves the window", async () => {
    const clock = manualClock(1_700_000_000_400);
    emulator = await startAssistantEmulator({ now: clock.now, chatLimit: { limit: 5, windowMs: 60_000 } });
    const first = await chat(emulator, { message: "a" });
    clock.advance(10_000);
    const second = await chat(emulator, { message: "b" });
    const oldestLeaves = Math.ceil((1_700_000_000_400 + 60_000) / 1000);
    expect(Number(first.headers.get("x-ratelimit-reset"))).toBe(oldestLeaves);
    expect(Number(second.headers.get("x-ratelimit-reset"))).toBe(oldestLeaves);
  });

  it("refuses the (limit+1)th call in a sliding window and accepts again once the oldest call leaves it", async () => {
    const clock = manualClock();
    emulator = await startAssistantEmulator({ now: clock.now, chatLimit: { limit: 3, windowMs: 60_000 } });
    // Calls at 0 s, 30 s, 59 s: a fixed-window counter would reset at 60 s; a sliding one must not.
    for (const at of [0, 30_000, 59_000]) {
      clock.at(at);
      expect((await chat(emulator, { message: "ok" })).status).toBe(200);
    }
    clock.at(59_999);
    const refused = await chat(emulator, { message: "too soon" });
    expect(refused.status).toBe(429);
    expect(refused.json).toEqual({
      success: false,
      data: null,
      error: { code: "RATE_LIMIT_EXCEEDED", message: expect.any(String) },
    });
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.headers.get("x-ratelimit-reset")).toBe("1700000060"); // when the 0 s call leaves

    clock.at(60_000); // the call at 0 s has left (now - 60 s, now]
    expect((await chat(emulator, { message: "slot freed" })).status).toBe(200);
    clock.at(60_001);
    const again = await chat(emulator, { message: "full again" });
    expect(again.status).toBe(429);
    expect(again.headers.get("retry-after")).toBe("30"); // the 30 s call leaves at 90 s
  });

  it("a refused call is not counted, so it does not push the window further out", async () => {
    const clock = manualClock();
    emulator = await startAssistantEmulator({ now: clock.now, chatLimit: { limit: 1, windowMs: 10_000 } });
    expect((await chat(emulator, { message: "a" })).status).toBe(200);
    for (const at of [2_000, 5_000, 9_999]) {
      clock.at(at);
      expect((await chat(emulator, { message: "refused" })).status).toBe(429);
    }
    clock.at(10_000);
    expect((await chat(emulator, { message: "b" })).status).toBe(200);
    expect(emulator.requests.map((r) => r.counted)).toEqual([true, false, false, false, true]);
  });

  it("a 401 is not counted against the key's limit", async () => {
    const clock = manualClock();
    emulator = await startAssistantEmulator({ now: clock.now, chatLimit: { limit: 1, windowMs: 60_000 } });
    await chat(emulator, { message: "a" }, { apiKey: "bad" });
    expect((await chat(emulator, { message: "b" })).status).toBe(200);
  });

  it("limits each API key on its own, and chat and data calls in separate windows", async () => {
    const clock = manualClock();
    emulator = await startAssistantEmulator({
      now: clock.now,
      apiKeys: ["k1", "k2"],
      chatLimit: { limit: 1, windowMs: 60_000 },
      dataLimit: { limit: 1, windowMs: 3_600_000 },
    });
    expect((await chat(emulator, { message: "a" }, { apiKey: "k1" })).status).toBe(200);
    expect((await chat(emulator, { message: "b" }, { apiKey: "k2" })).status).toBe(200);
    expect((await chat(emulator, { message: "c" }, { apiKey: "k1" })).status).toBe(429);
    const find = await call(emulator, "GET", "/contacts?externalId=x", { apiKey: "k1" });
    expect(find.status).toBe(200);
    expect(find.headers.get("x-ratelimit-limit")).toBe("1");
    expect(find.headers.get("x-ratelimit-remaining")).toBe("0");
    const second = await call(emulator, "GET", "/contacts?externalId=x", { apiKey: "k1" });
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toBe("3600");
  });

  it("maxChatCallsInAnyWindow reports the busiest rolling window of counted calls", async () => {
    const clock = manualClock();
    emulator = await startAssistantEmulator({ now: clock.now, chatLimit: { limit: 3, windowMs: 10_000 } });
    // Accepted at 0, 1, 9.5, 15, 16 s; refused at 9.8 s. Busiest window (0 s, 10 s] style: 3 calls.
    for (const at of [0, 1_000, 9_500, 9_800, 15_000, 16_000]) {
      clock.at(at);
      await chat(emulator, { message: "m" });
    }
    await chat(emulator, { message: "other key" }, { apiKey: "bad" });
    expect(emulator.requests.filter((r) => r.status === 429)).toHaveLength(1);
    expect(emulator.maxChatCallsInAnyWindow()).toBe(3);
    expect(emulator.maxChatCallsInAnyWindow("bad")).toBe(0);
  });

  it("maxChatCallsInAnyWindow counts calls exactly windowMs apart as different windows", async () => {
    const clock = manualClock();
    emulator = await startAssistantEmulator({ now: clock.now, chatLimit: { limit: 5, windowMs: 10_000 } });
    for (const at of [0, 10_000, 20_000]) {
      clock.at(at);
      await chat(emulator, { message: "m" });
    }
    expect(emulator.maxChatCallsInAnyWindow()).toBe(1);
    clock.at(20_000);
    await chat(emulator, { message: "m" });
    expect(emulator.maxChatCallsInAnyWindow()).toBe(2);
  });

  it("an injected server error in a full window is not counted past the limit", async () => {
    const clock = manualClock();
    emulator = await startAssistantEmulator({ now: clock.now, chatLimit: { limit: 1, windowMs: 60_000 } });
    await chat(emulator, { message: "fills the window" });
    emulator.injectFaults({ kind: "error", code: "INTERNAL_ERROR" });
    expect((await chat(emulator, { message: "fails" })).status).toBe(500);
    expect(emulator.requests.at(-1)?.counted).toBe(false);
    expect(emulator.maxChatCallsInAnyWindow()).toBe(1);
  });

  it("refuses limits that cannot work", async () => {
    await expect(startAssistantEmulator({ chatLimit: { limit: 0, windowMs: 1000 } })).rejects.toThrow(
      /chatLimit/,
    );
    await expect(startAssistantEmulator({ apiKeys: [] })).rejects.toThrow(/apiKeys/);
    emulator = await startAssistantEmulator();
  });
});
