// Long polling that never confirms an update to Telegram before the bot has finished with it.
//
// Telegram forgets every update below the `offset` of a getUpdates call. grammY's runner advances
// the offset as soon as it has fetched a batch, so an update whose handler then failed (the store
// could not take the message) or was cut short by a shutdown was gone. Here the offset only moves
// past an update once its handler succeeded (or was given up on): the offset is always the lowest
// update still being handled. Updates Telegram sends again because of that are recognised by id
// and not handled twice.
//
// Order: updates of one conversation are handled one after another; conversations run
// concurrently. A failed update is tried again after a backoff, holding back only its own
// conversation; while anything is unfinished, polling continues at a short interval (a long poll
// would return at once, since Telegram still holds the unfinished update) so other conversations
// keep moving.
//
// Errors from getUpdates behave like grammY's: 401 (bad token) and 409 (another poller, or a
// webhook) end polling; 429 waits out retry_after; anything else is retried after 3 s.
import { type Bot, BotError, GrammyError } from "grammy";
import type { Update } from "grammy/types";
import { retry, sleep } from "../../src/kit/index.js";

export interface PollerOptions {
  /** Long-poll timeout in seconds. */
  timeoutSeconds: number;
  allowedUpdates: ReadonlyArray<Exclude<keyof Update, "update_id">>;
  /** Updates with the same key are handled in arrival order. */
  keyOf(update: Update): string;
  /** Decides after a failed attempt: the delay before the next one in ms, or undefined to give up. */
  retryDelay(error: unknown, update: Update, attempt: number): number | undefined;
  /** A getUpdates failure that polling will retry. */
  onFetchError(error: unknown): void;
  /** While updates are unfinished, how long to wait for them before asking Telegram for newer ones. */
  busyPollMs?: number;
}

const FETCH_RETRY_MS = 3000;
const DEFAULT_BUSY_POLL_MS = 1000;

export class UpdatePoller {
  private running = false;
  private loop?: Promise<void>;
  private readonly abort = new AbortController();
  /** Past the highest update id seen. */
  private next = 0;
  /** Updates already taken in hand that Telegram may still send (ids at or above the offset). */
  private readonly known = new Set<number>();
  /** Updates fetched but not yet handled successfully (or given up on). */
  private readonly unfinished = new Set<number>();
  /** Updates waiting for their next attempt after a failure. */
  private readonly retrying = new Set<number>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly bot: Bot,
    private readonly options: PollerOptions,
  ) {}

  /** Starts polling; the promise settles when polling ends: resolves after stop(), rejects on 401/409. */
  start(): Promise<void> {
    this.running = true;
    this.loop = this.poll();
    return this.loop;
  }

  /** Stops fetching, waits for the handlers that are running, and leaves the rest to Telegram. */
  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await this.loop?.catch(() => undefined);
  }

  isRunning(): boolean {
    return this.running;
  }

  /** Some update failed and is waiting to be tried again. */
  hasRetries(): boolean {
    return this.retrying.size > 0;
  }

  private async poll(): Promise<void> {
    try {
      while (this.running) {
        const updates = await this.fetch();
        // By id, not by order: after a week without updates Telegram may restart the numbering lower.
        for (const update of updates) if (!this.known.has(update.update_id)) this.dispatch(update);
        this.forgetConfirmed();
        if (this.unfinished.size > 0) await this.settle();
      }
    } finally {
      this.running = false;
      this.abort.abort();
      await Promise.allSettled([...this.inFlight]);
    }
  }

  /** The lowest update not yet finished: Telegram keeps it and everything after it. */
  private offset(): number {
    let lowest = this.next;
    for (const id of this.unfinished) lowest = Math.min(lowest, id);
    return lowest;
  }

  private async fetch(): Promise<Update[]> {
    const busy = this.unfinished.size > 0;
    try {
      return await this.bot.api.getUpdates(
        {
          offset: this.offset(),
          timeout: busy ? 0 : this.options.timeoutSeconds,
          allowed_updates: this.options.allowedUpdates,
        },
        this.abort.signal as Parameters<Bot["api"]["getUpdates"]>[1],
      );
    } catch (error) {
      if (!this.running) return [];
      if (error instanceof GrammyError) {
        if (error.error_code === 401 || error.error_code === 409) throw error;
        if (error.error_code === 429) {
          await this.pause((error.parameters.retry_after ?? FETCH_RETRY_MS / 1000) * 1000);
          return [];
        }
      }
      this.options.onFetchError(error);
      await this.pause(FETCH_RETRY_MS);
      return [];
    }
  }

  private dispatch(update: Update): void {
    const id = update.update_id;
    this.next = Math.max(this.next, id + 1);
    this.known.add(id);
    this.unfinished.add(id);
    const key = this.options.keyOf(update);
    const previous = this.chains.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.handle(update));
    this.chains.set(key, run);
    this.inFlight.add(run);
    void run.finally(() => {
      this.inFlight.delete(run);
      if (this.chains.get(key) === run) this.chains.delete(key);
    });
  }

  /** Telegram no longer sends updates below the offset, so they need not be remembered. */
  private forgetConfirmed(): void {
    const offset = this.offset();
    for (const id of this.known) if (id < offset) this.known.delete(id);
  }

  private async handle(update: Update): Promise<void> {
    const id = update.update_id;
    if (!this.running) return;
    await retry(
      async (attempt) => {
        if (attempt > 1) {
          this.retrying.delete(id);
          // Stopped while waiting: Telegram keeps the update for the next poller.
          if (!this.running) return;
        }
        await this.bot.handleUpdate(update);
        this.unfinished.delete(id);
      },
      {
        signal: this.abort.signal,
        delayMs: (error, attempt) => {
          if (!this.running) return undefined;
          const cause = error instanceof BotError ? error.error : error;
          const wait = this.options.retryDelay(cause, update, attempt);
          if (wait === undefined) this.unfinished.delete(id);
          else this.retrying.add(id);
          return wait;
        },
      },
    ).catch(() => undefined);
  }

  /** Waits until everything fetched is handled, or a short while so newer updates are not held up. */
  private async settle(): Promise<void> {
    const settled = new AbortController();
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      this.pause(this.options.busyPollMs ?? DEFAULT_BUSY_POLL_MS, settled.signal),
    ]);
    settled.abort();
  }

  /** A delay that stop() (or `until`) cuts short. */
  private pause(ms: number, until?: AbortSignal): Promise<void> {
    const signal = until ? AbortSignal.any([this.abort.signal, until]) : this.abort.signal;
    return sleep(ms, signal).catch(() => undefined);
  }
}
