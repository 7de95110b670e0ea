// How long the contact backlog will take to drain under the data budget: reported to /metrics on
// every change, and logged once (with the ETA) when it passes the operator's threshold, so a burst
// of users that needs hours of contact writes is never silent. It may log again after falling back
// below half the threshold. The latest report also feeds /readyz (a warning, never "not ready": a
// slow contact sync does not affect replies) and `mygpt-bridge doctor`.
import type { Logger } from "pino";
import type { CallBudget } from "../budget/types.js";

/** The backlog as last measured: users waiting and the expected time to sync them all. */
export interface BacklogStatus {
  waiting: number;
  etaMs: number;
  /** The ETA is past the operator's threshold (contacts.backlogWarnMinutes). */
  overThreshold: boolean;
}

export class BacklogEta {
  private warned = false;
  private last: BacklogStatus = { waiting: 0, etaMs: 0, overThreshold: false };

  constructor(
    private readonly options: {
      logger: Logger;
      warnAfterMs: number;
      onEta?: (etaMs: number) => void;
    },
  ) {}

  report(waiting: number, budget: CallBudget): void {
    const etaMs = backlogEtaMs(waiting, budget);
    this.last = { waiting, etaMs, overThreshold: etaMs > this.options.warnAfterMs };
    this.options.onEta?.(etaMs);
    if (this.last.overThreshold && !this.warned) {
      this.warned = true;
      this.options.logger.warn(
        { waiting, etaMinutes: Math.ceil(etaMs / 60_000) },
        "contact backlog will take long to drain under the data budget (MYGPT_DATA_RATE); replies are not affected",
      );
    } else if (etaMs < this.options.warnAfterMs / 2) {
      this.warned = false;
    }
  }

  status(): BacklogStatus {
    return { ...this.last };
  }
}

/**
 * Expected time until the last of `waiting` users is synced, one data call each, under `budget`:
 * when that last call can start, with the other `waiting - 1` ahead of it.
 */
export function backlogEtaMs(waiting: number, budget: CallBudget): number {
  return waiting > 0 ? budget.estimateWaitMs(waiting - 1) : 0;
}

/** One line for operators: "29,000 users waiting, about 29 hours to sync under MYGPT_DATA_RATE". */
export function describeBacklog(status: Pick<BacklogStatus, "waiting" | "etaMs">): string {
  return `${status.waiting.toLocaleString("en")} users waiting, about ${describeDuration(status.etaMs)} to sync under MYGPT_DATA_RATE; replies are not affected`;
}

function describeDuration(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  if (minutes < 120) return `${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} hours` : `${Math.round(hours / 24)} days`;
}
