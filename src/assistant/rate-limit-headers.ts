// Reads what the server says about the key's budget from any response: X-RateLimit-Limit,
// X-RateLimit-Remaining, X-RateLimit-Reset (Unix seconds) and Retry-After (seconds or an HTTP date).
import type { ResponseHeaders } from "./http.js";
import type { RateLimitInfo } from "./types.js";

export function readRateLimit(headers: ResponseHeaders, now: number): RateLimitInfo | undefined {
  const info: RateLimitInfo = {};
  const limit = nonNegativeNumber(headers.get("x-ratelimit-limit"));
  const remaining = nonNegativeNumber(headers.get("x-ratelimit-remaining"));
  const reset = nonNegativeNumber(headers.get("x-ratelimit-reset"));
  const retryAfterMs = parseRetryAfter(headers.get("retry-after"), now);
  if (limit !== undefined) info.limit = limit;
  if (remaining !== undefined) info.remaining = remaining;
  if (reset !== undefined) info.resetAt = reset * 1000;
  if (retryAfterMs !== undefined) info.retryAfterMs = retryAfterMs;
  return Object.keys(info).length === 0 ? undefined : info;
}

export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = nonNegativeNumber(value);
  if (seconds !== undefined) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** How long the server asked us to wait: Retry-After first, else until Reset. */
export function serverWaitMs(info: RateLimitInfo | undefined, now: number): number | undefined {
  if (info?.retryAfterMs !== undefined) return info.retryAfterMs;
  if (info?.resetAt !== undefined) return Math.max(0, info.resetAt - now);
  return undefined;
}

function nonNegativeNumber(value: string | null): number | undefined {
  if (value === null || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return undefined;
  return Number(value);
}
