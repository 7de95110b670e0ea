// One retry loop and one abortable sleep for the whole bridge. Each caller says, per failure, how
// long to wait before the next attempt or that it gives up (`delayMs` returns undefined: the error
// is thrown as it is). A stop signal cuts a wait short; the caller's `delayMs` then decides whether
// that was the last try.

/** setTimeout as a promise that rejects with the signal's reason when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export interface RetryOptions {
  /** The wait before attempt `attempt + 1` after `error`, or undefined to give up. */
  delayMs(error: unknown, attempt: number): number | undefined;
  /** Cuts a wait short (the next attempt runs at once). */
  signal?: AbortSignal;
}

/** Runs `attempt` (counted from 1) until it succeeds or `delayMs` gives up. */
export async function retry<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const wait = options.delayMs(error, n);
      if (wait === undefined) throw error;
      await sleep(wait, options.signal).catch(() => undefined);
    }
  }
}
