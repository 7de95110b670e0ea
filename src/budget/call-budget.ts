// A CallBudget: calls wait in a p-queue (concurrency, priority), and each one, before it runs,
// takes a slot in the rolling window (WindowLog via a SlotLedger) and honours any pause the server
// ordered; when it finishes, its slot is re-dated to then (the server saw it no later). A call that
// says since when its conversation has waited stands in the store's waiting line with that place
// (TurnOrder), so processes sharing the key serve the longest-waiting conversation first; while the
// window is crowded, the places of this process's other waiting work (its queued calls, and what
// the caller holds back beyond them: alsoWaiting) stand behind it, so slots that free together go
// in turn too. Nothing is ever refused or dropped; a call only waits. It also times how long each call holds its place in
// flight once it has its slot (the call itself, or as its caller reports when the work goes on after
// it, such as posting the reply), so callers can size how many to keep in flight on this key
// (inFlightLimit).

import PQueue from "p-queue";
import type { Logger } from "pino";
import type { RateLimitInfo } from "../assistant/types.js";
import { DEFAULTS } from "../defaults.js";
import { sleep } from "../kit/retry.js";
import { silentLogger } from "../logger.js";
import type { Store } from "../store/types.js";
import { inFlightLimit, LatencyAverage } from "./concurrency.js";
import { budgetId } from "./key-hash.js";
import { LocalLedger, SharedLedger, type SlotLedger } from "./ledger.js";
import { TurnOrder } from "./turn-order.js";
import type { BudgetSnapshot, CallBudget, RateSpec, ScheduleOptions, WaitingPlace } from "./types.js";
import { WindowLog } from "./window-log.js";

export interface CallBudgetOptions {
  rate: RateSpec;
  /** Names the budget (e.g. kind + API key); only its SHA-256 digest is stored or logged. */
  key: string;
  store?: Store;
  concurrency?: number;
  now?: () => number;
  logger?: Logger;
  /** Extra time a slot stays taken after the window (clock jitter). Default 1%, 10 ms to 1 s. */
  safetyMarginMs?: number;
}

/** How long to wait before trying the ledger again when it failed (e.g. Redis unreachable). */
const LEDGER_RETRY_MS = 1_000;

export class SlidingWindowBudget implements CallBudget {
  readonly id: string;
  private readonly queue: PQueue;
  private readonly ledger: SlotLedger;
  private readonly now: () => number;
  private readonly logger: Logger;
  private pausedUntilMs = 0;
  private waiting = 0;
  /** How long a call holds its place in flight once it has its slot. */
  private readonly held = new LatencyAverage();
  /** Reservations run one at a time, in the order calls reached the front of the queue. */
  private turn: Promise<void> = Promise.resolve();
  private readonly turns = new TurnOrder();
  private closed = false;
  /** Calls scheduled here that have no slot yet and say since when they waited. */
  private readonly unslotted = new Set<WaitingPlace>();
  /** The caller's work for this budget not scheduled yet (alsoWaiting). */
  private waitingElsewhere: () => Iterable<WaitingPlace> = () => [];

  constructor(readonly options: CallBudgetOptions) {
    const { rate, store } = options;
    this.id = budgetId(options.key);
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger();
    this.queue = new PQueue({ concurrency: options.concurrency ?? DEFAULTS.chatConcurrency });
    const margin = options.safetyMarginMs ?? Math.min(1_000, Math.max(10, Math.round(rate.windowMs * 0.01)));
    const log = new WindowLog(rate.limit, rate.windowMs + margin);
    this.ledger = store ? new SharedLedger(log, this.id, store) : new LocalLedger(log);
  }

  schedule<T>(fn: () => Promise<T>, options: ScheduleOptions = {}): Promise<T> {
    this.waiting++;
    const { waitingSince, conversation, timedByCaller } = options;
    const place = waitingSince === undefined ? undefined : { waitingSince, conversation };
    if (place) this.unslotted.add(place);
    const run = async () => {
      let finished: () => void;
      try {
        finished = await this.inTurn(place);
      } finally {
        this.waiting--;
        if (place) this.unslotted.delete(place);
      }
      const began = this.now();
      try {
        const result = await fn();
        if (!timedByCaller) this.held.observe(this.now() - began);
        return result;
      } finally {
        finished();
        if (conversation !== undefined) this.turns.served(conversation, this.now());
      }
    };
    return this.queue.add(run, { priority: options.priority ?? 0 });
  }

  /**
   * Waits for a slot in the window (and the end of any server pause) and takes it, outside the
   * queue: for a call already running that must make one more request, such as a client retry.
   * Call the returned function when that request has finished.
   */
  reserve(signal?: AbortSignal): Promise<() => void> {
    return this.inTurn(undefined, signal);
  }

  alsoWaiting(waiting: () => Iterable<WaitingPlace>): void {
    this.waitingElsewhere = waiting;
  }

  /** Takes a slot once the reservations before this one have theirs; `place` gives its place in the shared line. */
  private inTurn(place?: WaitingPlace, signal?: AbortSignal): Promise<() => void> {
    const mine = this.turn.then(() => this.takeSlot(place, signal));
    this.turn = mine.then(
      () => {},
      () => {},
    );
    return mine;
  }

  noteHeld(ms: number): void {
    this.held.observe(ms);
  }

  inFlightLimit(cap: number): number {
    return inFlightLimit(
      this.options.rate,
      this.held.valueMs ?? DEFAULTS.assistantLatencyGuessMs,
      Math.min(cap, this.queue.concurrency),
    );
  }

  pauseUntil(untilMs: number): void {
    if (untilMs <= this.pausedUntilMs) return;
    this.pausedUntilMs = untilMs;
    this.logger.info(
      { budget: this.id, pausedForMs: untilMs - this.now() },
      "call budget paused by the server",
    );
  }

  /** What the server said on a response: a 429 or a spent window we did not know about pauses us. */
  noteServerLimits(info: RateLimitInfo): void {
    const now = this.now();
    if (info.retryAfterMs !== undefined) {
      this.pauseUntil(now + info.retryAfterMs);
      return;
    }
    // Our own log already holds calls back to the millisecond; Remaining 0 while we think there is
    // room means someone else spends this key, and only the server's (whole-second) Reset is known.
    if (info.remaining === 0 && info.resetAt !== undefined && this.ledger.hadRoom(now)) {
      this.pauseUntil(info.resetAt);
    }
  }

  snapshot(): BudgetSnapshot {
    const now = this.now();
    const snapshot: BudgetSnapshot = {
      limit: this.options.rate.limit,
      windowMs: this.options.rate.windowMs,
      remaining: this.ledger.log.remaining(now),
      waiting: this.waiting,
    };
    if (this.pausedUntilMs > now) snapshot.pausedUntil = this.pausedUntilMs;
    return snapshot;
  }

  estimateWaitMs(queuedAhead: number): number {
    const now = this.now();
    return this.ledger.log.projectedStart(now, Math.max(0, queuedAhead), this.pausedUntilMs) - now;
  }

  /** Reads the stored window now (what earlier runs and other processes spent). */
  async load(): Promise<void> {
    await this.ledger.load?.();
  }

  /** Leaves the shared waiting line: calls still waiting here no longer hold other processes back. */
  async close(): Promise<void> {
    this.closed = true;
    await this.leaveLine();
  }

  private async leaveLine(): Promise<void> {
    await this.ledger
      .leaveLine?.()
      .catch((error: unknown) =>
        this.logger.warn({ budget: this.id, err: error }, "could not leave the budget's waiting line"),
      );
  }

  private finish(finished: (at: number) => Promise<void>): void {
    finished(this.now()).catch((error: unknown) =>
      this.logger.warn({ budget: this.id, err: error }, "could not record a finished call in the budget"),
    );
  }

  private placeOf(work: WaitingPlace): number {
    return this.turns.placeOf(work.waitingSince, work.conversation);
  }

  /** The places in the shared line of this process's waiting work other than `place`, oldest first. */
  private placesBehind(place: WaitingPlace): number[] {
    const behind: number[] = [];
    for (const other of this.unslotted) if (other !== place) behind.push(this.placeOf(other));
    for (const other of this.waitingElsewhere()) behind.push(this.placeOf(other));
    // More than the window's slots are never given out at once.
    return behind.sort((a, b) => a - b).slice(0, this.options.rate.limit);
  }

  private async takeSlot(place?: WaitingPlace, signal?: AbortSignal): Promise<() => void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.now();
      if (this.pausedUntilMs > now) {
        // Paused by the server, this process must not hold the other processes' turns.
        await this.leaveLine();
        await sleep(this.pausedUntilMs - now, signal);
        continue;
      }
      let waitMs: number;
      try {
        const inLine = place && !this.closed ? place : undefined;
        const result = await this.ledger.tryTake(
          now,
          inLine && this.placeOf(inLine),
          inLine && (() => this.placesBehind(inLine)),
        );
        if (result.taken) return () => this.finish(result.finished);
        waitMs = result.waitMs;
      } catch (error) {
        this.logger.warn({ budget: this.id, err: error }, "call budget ledger failed; trying again");
        waitMs = LEDGER_RETRY_MS;
      }
      await sleep(waitMs, signal);
    }
  }
}

export function createCallBudget(options: CallBudgetOptions): SlidingWindowBudget {
  return new SlidingWindowBudget(options);
}
