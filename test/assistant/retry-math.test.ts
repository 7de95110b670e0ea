// Pure pieces of the client: full-jitter backoff bounds and reading the rate-limit headers.
import { describe, expect, it } from "vitest";
import { backoffMs, parseRetryAfter, readRateLimit } from "../../src/assistant/index.js";

describe("backoff with full jitter", () => {
  const policy = (r: number) => ({ backoffBaseMs: 500, backoffMaxMs: 15_000, random: () => r });

  it("doubles the ceiling each attempt, up to the maximum", () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffMs(attempt, policy(0.999_999)));
    expect(ceilings).toEqual([499, 999, 1999, 3999, 7999, 14_999, 14_999]);
  });

  it("spreads waits over the whole range, down to zero", () => {
    expect(backoffMs(4, policy(0))).toBe(0);
    expect(backoffMs(4, policy(0.5))).toBe(2000);
  });
});

describe("rate-limit headers", () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);

  it("reads limit, remaining, reset (seconds → ms) and Retry-After", () => {
    const headers = new Headers({
      "X-RateLimit-Limit": "100",
      "X-RateLimit-Remaining": "0",
      "X-RateLimit-Reset": String(now / 1000 + 42),
      "Retry-After": "7",
    });
    expect(readRateLimit(headers, now)).toEqual({
      limit: 100,
      remaining: 0,
      resetAt: now + 42_000,
      retryAfterMs: 7000,
    });
  });

  it("a response without the headers reports nothing, and garbage values are ignored", () => {
    expect(readRateLimit(new Headers(), now)).toBeUndefined();
    expect(
      readRateLimit(new Headers({ "X-RateLimit-Remaining": "-3", "X-RateLimit-Limit": "lots" }), now),
    ).toBeUndefined();
  });

  it("Retry-After may be an HTTP date", () => {
    expect(parseRetryAfter(new Date(now + 5_000).toUTCString(), now)).toBe(5_000);
    expect(parseRetryAfter(new Date(now - 5_000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });
});
