// Bounded retries for one API call: exponential backoff with full jitter for retryable failures,
// the server's own wait (Retry-After / Reset) for a 429, and never more than maxAttempts attempts
// or maxRetryTimeMs in total. When the bounds run out the last error is thrown as it is
// (still retryable: true), so the caller can requeue the work instead of dropping it.
import { AssistantError } from "../errors.js";

export interface RetryPolicy {
  maxAttempts: number;
  maxRetryTimeMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  random: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => number;
}

export interface RetryHooks {
  /**
   * Awaited before every attempt after the first, so a budget can count (and pace) the extra call;
   * a function it returns is called when that attempt has finished.
   */
  beforeRetry?: (signal?: AbortSignal) => Promise<(() => void) | undefined>;
  onRetry?: (error: AssistantError, attempt: number, waitMs: number) => void;
  signal?: AbortSignal;
}

/** Full jitter: a uniform wait in [0, min(max, base * 2^(attempt-1))). `attempt` counts from 1. */
export function backoffMs(
  attempt: number,
  policy: Pick<RetryPolicy, "backoffBaseMs" | "backoffMaxMs" | "random">,
) {
  const ceiling = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (attempt - 1));
  return Math.floor(policy.random() * ceiling);
}

/** How long to wait before retrying after `error`, or undefined when it must not be retried. */
export function retryWaitMs(error: unknown, attempt: number, policy: RetryPolicy): number | undefined {
  if (!(error instanceof AssistantError) || !error.retryable) return undefined;
  if (error.code === "RATE_LIMIT_EXCEEDED" && error.options.retryAfterMs !== undefined) {
    return error.options.retryAfterMs;
  }
  return backoffMs(attempt, policy);
}

export async function withRetries<T>(
  attemptOnce: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<T> {
  const startedAt = policy.now();
  /** Tells the budget that the current retry attempt is over. */
  let finished: (() => void) | undefined;
  for (let attempt = 1; ; attempt++) {
    let waitMs: number | undefined;
    try {
      return await attemptOnce(attempt);
    } catch (error) {
      waitMs = retryWaitMs(error, attempt, policy);
      if (waitMs === undefined || attempt >= policy.maxAttempts) throw error;
      if (policy.now() - startedAt + waitMs > policy.maxRetryTimeMs) throw error;
      hooks.onRetry?.(error as AssistantError, attempt, waitMs);
    } finally {
      finished?.();
      finished = undefined;
    }
    await policy.sleep(waitMs, hooks.signal);
    finished = (await hooks.beforeRetry?.(hooks.signal)) ?? undefined;
  }
}
