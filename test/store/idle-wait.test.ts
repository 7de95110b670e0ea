// A durable-queue worker's idle wait (contact sync): new work or a stop announced while the worker
// was busy looking in the store must not wait out the whole timer.
import { afterEach, describe, expect, it, vi } from "vitest";
import { IdleWait } from "../../src/store/idle-wait.js";

afterEach(() => vi.useRealTimers());

async function settledWithin(wait: Promise<void>, ms: number): Promise<boolean> {
  let settled = false;
  void wait.then(() => {
    settled = true;
  });
  await vi.advanceTimersByTimeAsync(ms);
  return settled;
}

describe("the idle wait", () => {
  it("a wake that came while the worker was busy ends its next wait at once", async () => {
    vi.useFakeTimers();
    const idle = new IdleWait();
    idle.wake();
    expect(await settledWithin(idle.wait(10_000), 0)).toBe(true);
    // Kept once only: the wait after it waits again.
    expect(await settledWithin(idle.wait(10_000), 9_999)).toBe(false);
  });

  it("a wake during a wait ends it; with no wake the wait ends on its timer", async () => {
    vi.useFakeTimers();
    const idle = new IdleWait();
    const woken = idle.wait(10_000);
    idle.wake();
    expect(await settledWithin(woken, 0)).toBe(true);
    expect(await settledWithin(idle.wait(10_000), 10_000)).toBe(true);
  });
});
