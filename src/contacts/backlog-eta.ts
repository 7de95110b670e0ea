// How long the contact backlog will take to drain under the data budget: reported to /metrics on
// every change, and logged once (with the ETA) when it passes the operator's threshold, so a burst
// of users that needs hours of contact writes is never silent. It may log again after falling back
// below half the threshold.
import type { Logger } from "pino";
import type { CallBudget } from "../budget/types.js";

export class BacklogEta {
  private warned = false;

  constructor(
    private readonly options: {
      logger: Logger;
      warnAfterMs: number;
      onEta?: (etaMs: number) => void;
    },
  ) {}

  report(waiting: number, budget: CallBudget): void {
    const etaMs = waiting > 0 ? budget.estimateWaitMs(waiting) : 0;
    this.options.onEta?.(etaMs);
    if (etaMs > this.options.warnAfterMs && !this.warned) {
      this.warned = true;
      this.options.logger.warn(
        { waiting, etaMinutes: Math.ceil(etaMs / 60_000) },
        "contact backlog will take long to drain under the data budget (MYGPT_DATA_RATE); replies are not affected",
      );
    } else if (etaMs < this.options.warnAfterMs / 2) {
      this.warned = false;
    }
  }
}
