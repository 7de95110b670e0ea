// The contact backlog's ETA is when the last waiting user's contact call can start under the data
// budget: a backlog the budget's free window holds is synced now, not a window later.
import { describe, expect, it } from "vitest";
import { createCallBudget } from "../../src/budget/call-budget.js";
import { backlogEtaMs } from "../../src/contacts/backlog-eta.js";

const HOUR = 3_600_000;

function dataBudget(now: number) {
  return createCallBudget({ rate: { limit: 10, windowMs: HOUR }, key: "data", now: () => now });
}

describe("contact backlog ETA", () => {
  it("a backlog no bigger than the free window is synced at once", () => {
    const budget = dataBudget(1_000_000);
    expect(backlogEtaMs(0, budget)).toBe(0);
    expect(backlogEtaMs(1, budget)).toBe(0);
    expect(backlogEtaMs(10, budget)).toBe(0);
  });

  it("each further window's worth of users adds one window", () => {
    const budget = dataBudget(1_000_000);
    const hours = (waiting: number) => Math.round(backlogEtaMs(waiting, budget) / HOUR);
    expect(hours(11)).toBe(1);
    expect(hours(20)).toBe(1);
    expect(hours(21)).toBe(2);
    expect(hours(200)).toBe(19);
  });
});
