// The call budget's interface: how the relay and contact sync spend API calls without the server
// ever seeing more than the budget in any rolling window.

export interface RateSpec {
  limit: number;
  windowMs: number;
}

export interface BudgetSnapshot {
  limit: number;
  windowMs: number;
  /** Calls still allowed in the current rolling window, as this process sees it. */
  remaining: number;
  /** Until when the server told us to stop (429 or Remaining 0), ms since epoch, if in force. */
  pausedUntil?: number;
  /** Calls waiting for a slot. */
  waiting: number;
}

export interface ScheduleOptions {
  priority?: number;
  /**
   * Since when the work this call answers has waited (ms since epoch): its oldest message's
   * arrival. With a shared store, free slots go to the call that has waited longest, whichever
   * process holds it, so conversations take turns across replicas as they do within one.
   */
  waitingSince?: number;
  /** The conversation the call answers: once answered, its next call goes behind those that waited longer. */
  conversation?: string;
  /**
   * The caller reports how long the call held its place in flight (noteHeld), because its work
   * goes on after fn (posting the reply); otherwise the budget times fn itself.
   */
  timedByCaller?: boolean;
}

/** Work waiting for a budget: since when, and for which conversation (see ScheduleOptions). */
export interface WaitingPlace {
  waitingSince: number;
  conversation?: string;
}

export interface CallBudget {
  /**
   * Runs fn when a slot is free in the rolling window (and no server pause is in force).
   * Waits as long as needed; never refuses. fn's result is returned.
   */
  schedule<T>(fn: () => Promise<T>, options?: ScheduleOptions): Promise<T>;
  /** The server said stop until this time (ms since epoch): Retry-After or X-RateLimit-Reset. */
  pauseUntil(untilMs: number): void;
  snapshot(): BudgetSnapshot;
  /** Expected wait for a call scheduled now behind `queuedAhead` others, in ms. */
  estimateWaitMs(queuedAhead: number): number;
  /**
   * How many calls to keep in flight on this budget's key, at most `cap`: its rate × how long a
   * call holds its place in flight once it has its slot (Little's law). Without it, callers use `cap`.
   */
  inFlightLimit?(cap: number): number;
  /** A call scheduled with `timedByCaller` held its place in flight this long, from its slot to the end of its work. */
  noteHeld?(ms: number): void;
  /**
   * Where the caller keeps work for this budget not scheduled yet (conversations beyond its calls
   * in flight): with a shared store it stands in the waiting line too, behind this process's call,
   * so a slot freed while the process comes back for it does not go to work that waited less.
   */
  alsoWaiting?(waiting: () => Iterable<WaitingPlace>): void;
}
