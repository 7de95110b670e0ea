// The renewing indicator every adapter shows while the assistant works: shown at once, shown again
// on its interval until stopped, never again after stop, and a failure never stops the reply.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { renewingIndicator } from "../../src/kit/typing.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("a renewing typing indicator", () => {
  it("shows at once and again every interval until stopped, then never again", async () => {
    const shown: number[] = [];
    const handle = renewingIndicator(async () => void shown.push(Date.now()), { everyMs: 4000 });
    expect(shown).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(12_000);
    expect(shown).toHaveLength(4);
    handle.stop();
    handle.stop();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(shown).toHaveLength(4);
  });

  it("can wait one interval before the first renewal (the platform already shows it)", async () => {
    let shown = 0;
    const handle = renewingIndicator(async () => void shown++, { everyMs: 60_000, firstAfterMs: 60_000 });
    expect(shown).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(shown).toBe(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(shown).toBe(2);
    handle.stop();
  });

  it("shows nothing at all when the work ends before the first delay", async () => {
    let shown = 0;
    const handle = renewingIndicator(async () => void shown++, { everyMs: 4000, firstAfterMs: 500 });
    await vi.advanceTimersByTimeAsync(499);
    handle.stop();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(shown).toBe(0);
  });

  it("after a delay, shows and renews every interval", async () => {
    let shown = 0;
    const handle = renewingIndicator(async () => void shown++, { everyMs: 4000, firstAfterMs: 500 });
    await vi.advanceTimersByTimeAsync(500);
    expect(shown).toBe(1);
    await vi.advanceTimersByTimeAsync(8000);
    expect(shown).toBe(3);
    handle.stop();
  });

  it("reports a failed attempt and keeps renewing; a call aborted by stop() is not reported", async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const handle = renewingIndicator(
      (signal) =>
        new Promise((_resolve, reject) => {
          calls++;
          if (calls === 1) reject(new Error("429"));
          else signal.addEventListener("abort", () => reject(new Error("aborted")));
        }),
      { everyMs: 1000, onError: (e) => errors.push(e) },
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
    handle.stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toHaveLength(1);
  });

  it("survives a show function that throws synchronously, and keeps renewing", async () => {
    const errors: unknown[] = [];
    const handle = renewingIndicator(
      () => {
        throw new Error("boom");
      },
      { everyMs: 1000, onError: (e) => errors.push(e) },
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(errors).toHaveLength(2);
    handle.stop();
  });
});
