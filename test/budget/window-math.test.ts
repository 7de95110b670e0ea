// The budget's time arithmetic on fake timers: sliding (not fixed) windows, server pauses, wait
// estimates, and the rate setting's parser.

import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createCallBudget, parseRate } from "../../src/budget/index.js";
import { WindowLog } from "../../src/budget/window-log.js";
import { ConfigError } from "../../src/errors.js";
import { maxCallsInAnyWindow } from "../emulators/assistant/sliding-window.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Schedules `count` calls that record when they started. */
function burst(budget: ReturnType<typeof createCallBudget>, count: number, starts: number[]) {
  return Array.from({ length: count }, () => budget.schedule(async () => void starts.push(Date.now())));
}

describe("sliding window", () => {
  it("100/60s: a burst at 59 s and another at 61 s never put more than 100 calls in any 60 s", async () => {
    const budget = createCallBudget({ rate: { limit: 100, windowMs: 60_000 }, key: "k", concurrency: 200 });
    const starts: number[] = [];
    await vi.advanceTimersByTimeAsync(59_000);
    const first = burst(budget, 100, starts);
    await vi.advanceTimersByTimeAsync(2_000);
    const second = burst(budget, 100, starts);
    await vi.advanceTimersByTimeAsync(70_000);
    await Promise.all([...first, ...second]);

    expect(starts).toHaveLength(200);
    expect(maxCallsInAnyWindow(starts, 60_000)).toBe(100);
    expect(starts.filter((t) => t < 100_000)).toHaveLength(100);
    // The second hundred waits for the first to leave the window (plus the 1% safety margin).
    expect(Math.min(...starts.slice(100))).toBe(59_000 + 60_000 + 600);
  });

  it("calls spread over time start as soon as the oldest call in the window leaves it", async () => {
    const budget = createCallBudget({ rate: { limit: 3, windowMs: 1_000 }, key: "k", safetyMarginMs: 0 });
    const starts: number[] = [];
    const calls = burst(budget, 2, starts);
    await vi.advanceTimersByTimeAsync(400);
    calls.push(...burst(budget, 3, starts));
    await vi.advanceTimersByTimeAsync(3_000);
    await Promise.all(calls);
    expect(starts).toEqual([0, 0, 400, 1_000, 1_000]);
  });

  it("a call holds its slot for a window from when it finished, since the server may have counted it late", async () => {
    const budget = createCallBudget({ rate: { limit: 1, windowMs: 1_000 }, key: "k", safetyMarginMs: 0 });
    const starts: number[] = [];
    const slow = budget.schedule(async () => {
      starts.push(Date.now());
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    const next = budget.schedule(async () => void starts.push(Date.now()));
    await vi.advanceTimersByTimeAsync(2_000);
    await Promise.all([slow, next]);
    expect(starts).toEqual([0, 1_300]);
  });

  it("a waiting call never fails: hundreds of calls over a tiny budget all run, in order", async () => {
    const budget = createCallBudget({ rate: { limit: 2, windowMs: 100 }, key: "k", safetyMarginMs: 0 });
    const order: number[] = [];
    const calls = Array.from({ length: 300 }, (_, i) => budget.schedule(async () => order.push(i)));
    await vi.advanceTimersByTimeAsync(20_000);
    await Promise.all(calls);
    expect(order).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it("a higher priority call goes ahead of those already waiting", async () => {
    const budget = createCallBudget({ rate: { limit: 1, windowMs: 1_000 }, key: "k", concurrency: 1 });
    const order: string[] = [];
    const calls = ["a", "b", "c"].map((name) => budget.schedule(async () => void order.push(name)));
    calls.push(budget.schedule(async () => void order.push("urgent"), { priority: 10 }));
    await vi.advanceTimersByTimeAsync(5_000);
    await Promise.all(calls);
    expect(order).toEqual(["a", "urgent", "b", "c"]);
  });
});

describe("server pauses", () => {
  it("after pauseUntil every call waits until then, and resumes", async () => {
    const budget = createCallBudget({ rate: { limit: 100, windowMs: 60_000 }, key: "k" });
    budget.pauseUntil(5_000);
    expect(budget.snapshot().pausedUntil).toBe(5_000);
    const starts: number[] = [];
    const calls = burst(budget, 3, starts);
    await vi.advanceTimersByTimeAsync(10_000);
    await Promise.all(calls);
    expect(starts).toEqual([5_000, 5_000, 5_000]);
    expect(budget.snapshot().pausedUntil).toBeUndefined();
  });

  it("a 429's Retry-After pauses the budget", () => {
    const budget = createCallBudget({ rate: { limit: 100, windowMs: 60_000 }, key: "k" });
    budget.noteServerLimits({ remaining: 0, resetAt: 9_000, retryAfterMs: 7_000 });
    expect(budget.snapshot().pausedUntil).toBe(7_000);
  });

  it("Remaining 0 while this budget still has room (someone else spends the key) pauses until Reset", () => {
    const budget = createCallBudget({ rate: { limit: 100, windowMs: 60_000 }, key: "k" });
    budget.noteServerLimits({ limit: 100, remaining: 0, resetAt: 42_000 });
    expect(budget.snapshot().pausedUntil).toBe(42_000);
  });

  it("Remaining 0 that our own log already accounts for does not pause beyond the window", async () => {
    const budget = createCallBudget({ rate: { limit: 2, windowMs: 1_000 }, key: "k" });
    await Promise.all(burst(budget, 2, []));
    budget.noteServerLimits({ limit: 2, remaining: 0, resetAt: 2_000 });
    expect(budget.snapshot().remaining).toBe(0);
    expect(budget.snapshot().pausedUntil).toBeUndefined();
  });
});

describe("estimates and snapshots", () => {
  it("estimates the wait from the window, the queue ahead and any pause", async () => {
    const budget = createCallBudget({ rate: { limit: 10, windowMs: 60_000 }, key: "k", safetyMarginMs: 0 });
    expect(budget.estimateWaitMs(0)).toBe(0);
    expect(budget.estimateWaitMs(9)).toBe(0);
    expect(budget.estimateWaitMs(10)).toBe(60_000);
    expect(budget.estimateWaitMs(25)).toBe(120_000);
    await Promise.all(burst(budget, 10, []));
    await vi.advanceTimersByTimeAsync(15_000);
    expect(budget.estimateWaitMs(0)).toBe(45_000);
    budget.pauseUntil(Date.now() + 50_000);
    expect(budget.estimateWaitMs(0)).toBe(50_000);
  });

  it("a wait estimate for a line of any length is what placing each call in turn gives", () => {
    // The specification: every call in line starts as early as the window and the pause allow.
    const callByCall = (log: WindowLog, now: number, ahead: number, notBefore: number) => {
      const starts = log.entries(now);
      let start = now;
      for (let i = 0; i <= ahead; i++) {
        const blocker = starts.length >= log.limit ? starts[starts.length - log.limit]! + log.spanMs : now;
        start = Math.max(now, notBefore, blocker);
        starts.push(start);
      }
      return start;
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 30 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 20_000 }),
        (limit, spanMs, times, ahead, pause) => {
          const log = new WindowLog(limit, spanMs);
          log.merge(times);
          const now = 10_000;
          expect(log.projectedStart(now, ahead, now + pause)).toBe(callByCall(log, now, ahead, now + pause));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("the snapshot shows what is left in the window and how many calls wait", async () => {
    const budget = createCallBudget({ rate: { limit: 2, windowMs: 1_000 }, key: "k", safetyMarginMs: 0 });
    const calls = burst(budget, 5, []);
    await vi.advanceTimersByTimeAsync(0);
    expect(budget.snapshot()).toEqual({ limit: 2, windowMs: 1_000, remaining: 0, waiting: 3 });
    await vi.advanceTimersByTimeAsync(2_500);
    await Promise.all(calls);
    // Started at 0, 0, 1000, 1000, 2000: only the last is still in the window at 2500.
    expect(budget.snapshot()).toEqual({ limit: 2, windowMs: 1_000, remaining: 1, waiting: 0 });
  });
});

describe("parseRate", () => {
  it.each([
    ["100/60s", 100, 60_000],
    ["1000/3600s", 1000, 3_600_000],
    ["5/2m", 5, 120_000],
    [" 1000 / 1h ", 1000, 3_600_000],
  ])("reads %s", (text, limit, windowMs) => {
    expect(parseRate(text, "MYGPT_CHAT_RATE")).toEqual({ limit, windowMs });
  });

  it.each(["100", "100/60", "0/60s", "100/0s", "ten/60s", "100/60d", ""])(
    "refuses %j, naming the variable and the fix",
    (text) => {
      const attempt = () => parseRate(text, "MYGPT_DATA_RATE");
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(/^MYGPT_DATA_RATE ".*" is not a rate: write CALLS\/WINDOW/);
      try {
        attempt();
      } catch (error) {
        expect((error as ConfigError).problems[0]?.variable).toBe("MYGPT_DATA_RATE");
      }
    },
  );
});
