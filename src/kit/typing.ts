// A renewing "typing"/status indicator: platforms show one for a few seconds only, so it is shown
// again on a timer until stop(). A failure to show it is reported (typically logged at debug) and
// never stops the reply; once stopped, a call still in flight is aborted and its failure is ignored.
import type { TypingHandle } from "../adapter.js";

export interface RenewingOptions {
  /** How often the indicator is shown again while work goes on. */
  everyMs: number;
  /** Show it at once too (default), or only after the first interval (it is already showing). */
  immediate?: boolean;
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
  if (options.immediate ?? true) tick();
  const timer = setInterval(tick, options.everyMs);
  timer.unref();
  return {
    stop: () => {
      if (abort.signal.aborted) return;
      clearInterval(timer);
      abort.abort();
    },
  };
}
