import { describe, expect, it } from "vitest";
import { inFlightLimit, LatencyAverage } from "../../src/budget/concurrency.js";
import { createCallBudget } from "../../src/budget/index.js";

describe("calls kept in flight per key", () => {
  it("follow Little's law: the budget's rate times the assistant's latency, plus one", () => {
    // 5 calls per 2 s, answers in 1 s: 2.5 in flight on average, so 3, plus one.
    expect(inFlightLimit({ limit: 5, windowMs: 2_000 }, 1_000, 32)).toBe(4);
    // The default 100 per minute with a 2 s assistant: 3.3, so 4, plus one.
    expect(inFlightLimit({ limit: 100, windowMs: 60_000 }, 2_000, 32)).toBe(5);
  });

  it("never exceed the cap, and never fall below one", () => {
    expect(inFlightLimit({ limit: 1_000_000, windowMs: 60_000 }, 500, 32)).toBe(32);
    expect(inFlightLimit({ limit: 1, windowMs: 3_600_000 }, 0, 32)).toBe(1);
    expect(inFlightLimit({ limit: 100, windowMs: 60_000 }, 2_000, 0)).toBe(1);
  });

  it("grow when the assistant slows down, as the budget times its calls", async () => {
    let now = 0;
    const budget = createCallBudget({ rate: { limit: 10, windowMs: 1_000 }, key: "k", now: () => now });
    await budget.schedule(async () => {
      now += 100;
    });
    expect(budget.inFlightLimit(32)).toBe(2);
    for (let i = 0; i < 20; i++) {
      await budget.schedule(async () => {
        now += 1_000;
      });
    }
    expect(budget.inFlightLimit(32)).toBeGreaterThanOrEqual(10);
  });

  it("count a call until its caller says its work is done, when the work goes on after the call", async () => {
    let now = 0;
    const budget = createCallBudget({ rate: { limit: 10, windowMs: 1_000 }, key: "k", now: () => now });
    for (let i = 0; i < 20; i++) {
      // The assistant answers in 10 ms; posting the reply takes the rest of the second.
      await budget.schedule(
        async () => {
          now += 10;
        },
        { timedByCaller: true },
      );
      now += 990;
      budget.noteHeld(1_000);
    }
    expect(budget.inFlightLimit(32)).toBeGreaterThanOrEqual(10);
  });

  it("average latency smoothly rather than jumping to the last call", () => {
    const average = new LatencyAverage(0.5);
    average.observe(100);
    average.observe(300);
    expect(average.valueMs).toBe(200);
    average.observe(Number.NaN);
    expect(average.valueMs).toBe(200);
  });
});
