// The one retry loop and abortable sleep the bridge's parts share: an attempt is tried again after
// the wait its caller chose, the caller's give-up throws the last error as it is, and a stop signal
// cuts a wait short so the caller can make one last try.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { retry, sleep } from "../../src/kit/retry.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("retry", () => {
  it("tries again after each chosen wait until the attempt succeeds", async () => {
    const tries: number[] = [];
    const result = retry(
      async (n) => {
        tries.push(Date.now());
        if (n < 3) throw new Error(`failure ${n}`);
        return "done";
      },
      { delayMs: (_error, attempt) => 100 * attempt },
    );
    await vi.advanceTimersByTimeAsync(300);
    await expect(result).resolves.toBe("done");
    const start = tries[0]!;
    expect(tries.map((t) => t - start)).toEqual([0, 100, 300]);
  });

  it("throws the last error unchanged once the caller gives up", async () => {
    const errors: unknown[] = [];
    const result = retry(
      async (n) => {
        throw new Error(`failure ${n}`);
      },
      {
        delayMs: (error, attempt) => {
          errors.push(error);
          return attempt < 2 ? 10 : undefined;
        },
      },
    );
    const settled = expect(result).rejects.toThrow("failure 2");
    await vi.advanceTimersByTimeAsync(10);
    await settled;
    expect(errors).toHaveLength(2);
  });

  it("makes the next try at once when the signal aborts during a wait", async () => {
    const stop = new AbortController();
    let tries = 0;
    const result = retry(
      async () => {
        tries++;
        throw new Error("store away");
      },
      { delayMs: () => (stop.signal.aborted ? undefined : 60_000), signal: stop.signal },
    );
    const settled = expect(result).rejects.toThrow("store away");
    await vi.advanceTimersByTimeAsync(0);
    expect(tries).toBe(1);
    stop.abort();
    await settled;
    expect(tries).toBe(2);
  });
});

describe("sleep", () => {
  it("resolves after the wait", async () => {
    let done = false;
    void sleep(500).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(499);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
  });

  it("rejects with the signal's reason when aborted, at once if already aborted", async () => {
    const stop = new AbortController();
    const waiting = sleep(10_000, stop.signal);
    stop.abort(new Error("stopping"));
    await expect(waiting).rejects.toThrow("stopping");
    await expect(sleep(10, stop.signal)).rejects.toThrow("stopping");
  });
});
