// A renewing "typing"/status indicator: platforms show one for a few seconds only, so it is shown
// again on a timer until stop(). It may first show only after a delay, so work that finishes sooner
// costs no call at all. A failure to show it is reported (typically logged at debug) and never
// stops the reply; once stopped, a call still in flight is aborted and its failure is ignored.
import type { TypingHandle } from "../adapter.js";

export interface RenewingOptions {
  /** How often the indicator is shown again while work goes on. */
  everyMs: number;
  /** When to show it first: at once (0, the default), or later (e.g. one interval, when it already shows). */
  firstAfterMs?: number;
  /** A failed attempt while still running. */
  onError?: (error: unknown) => void;
}

export function renewingIndicator(
  show: (signal: AbortSignal) => Promise<unknown>,
  options: RenewingOptions,
): TypingHandle {
  const abort = new AbortController();
  const tick = (): void => {
    let attempt: Promise<unknown>;
    try {
      attempt = show(abort.signal);
    } catch (error) {
      attempt = Promise.reject(error);
    }
    attempt.catch((error: unknown) => {
      if (!abort.signal.aborted) options.onError?.(error);
    });
  };
  let renewal: NodeJS.Timeout | undefined;
  const begin = (): void => {
    tick();
    renewal = setInterval(tick, options.everyMs);
    renewal.unref();
  };
  const firstAfterMs = options.firstAfterMs ?? 0;
  const first = firstAfterMs > 0 ? setTimeout(begin, firstAfterMs) : undefined;
  first?.unref();
  if (!first) begin();
  return {
    stop: () => {
      if (abort.signal.aborted) return;
      clearTimeout(first);
      clearInterval(renewal);
      abort.abort();
    },
  };
}
