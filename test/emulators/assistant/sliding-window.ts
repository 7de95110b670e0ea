// The emulated server's rate limiter: a strict sliding window per API key. A call is refused when
// `limit` counted calls already happened in (now - windowMs, now]. It also answers the values the
// X-RateLimit-* and Retry-After headers carry.

export interface RateLimit {
  limit: number;
  windowMs: number;
}

export interface RateLimitHeaders {
  "X-RateLimit-Limit": string;
  "X-RateLimit-Remaining": string;
  "X-RateLimit-Reset": string;
  "Retry-After"?: string;
}

export class SlidingWindow {
  /** Counted call times per API key, oldest first, pruned to the current window. */
  private readonly calls = new Map<string, number[]>();

  constructor(readonly rate: RateLimit) {}

  /** True when one more call from this key at `now` is within the limit. */
  hasRoom(key: string, now: number): boolean {
    return this.inWindow(key, now).length < this.rate.limit;
  }

  /** Counts a call. */
  record(key: string, now: number): void {
    const calls = this.inWindow(key, now);
    calls.push(now);
    this.calls.set(key, calls);
  }

  /** Headers for a response to `key` at `now`; a refused call also gets Retry-After. */
  headers(key: string, now: number, refused = false): RateLimitHeaders {
    const calls = this.inWindow(key, now);
    const oldest = calls[0];
    // When the oldest call leaves the window a slot frees; with no calls in the window it is now.
    const freesAt = oldest === undefined ? now : oldest + this.rate.windowMs;
    const headers: RateLimitHeaders = {
      "X-RateLimit-Limit": String(this.rate.limit),
      "X-RateLimit-Remaining": String(Math.max(0, this.rate.limit - calls.length)),
      "X-RateLimit-Reset": String(Math.ceil(freesAt / 1000)),
    };
    if (refused) headers["Retry-After"] = String(Math.max(1, Math.ceil((freesAt - now) / 1000)));
    return headers;
  }

  private inWindow(key: string, now: number): number[] {
    const calls = this.calls.get(key) ?? [];
    const firstInside = calls.findIndex((at) => at > now - this.rate.windowMs);
    const kept = firstInside === -1 ? [] : calls.slice(firstInside);
    this.calls.set(key, kept);
    return kept;
  }
}

/** The most calls that fell into any window (t - windowMs, t]; `times` must be ascending. */
export function maxCallsInAnyWindow(times: readonly number[], windowMs: number): number {
  let max = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while ((times[start] ?? 0) <= (times[end] ?? 0) - windowMs) start++;
    max = Math.max(max, end - start + 1);
  }
  return max;
}
