// Group commit for the SQLite store. A commit costs far more than the statements it holds (SQLite
// writes every page a transaction touched to the WAL), and a busy bridge asks for several small
// writes in the same turn of the event loop: one message's queue entry, another's budget slot, a
// third's reply. The writes asked for during one turn run together in one transaction, in the order
// asked, after the turn's I/O callbacks; each caller still gets its own write's result or error, and
// only once the transaction has committed. One group is committed at a time, so a group waiting for
// another process's write lock keeps the ones behind it in order.
import { setImmediate } from "node:timers";

export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Runs the steps in one transaction; a step's own failure is its outcome, a failure of the whole throws. */
export type CommitSteps = (steps: Array<() => unknown>) => Promise<Outcome[]>;

interface Waiting {
  step: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  private waiting: Waiting[] = [];
  private scheduled = false;
  private committing = false;
  private idle: Array<() => void> = [];

  constructor(private readonly commit: CommitSteps) {}

  /** Runs `step` in the next group; resolves with its result once that group has committed. */
  add<T>(step: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ step, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Resolves once every write asked for so far has been committed or has failed. */
  drained(): Promise<void> {
    if (!this.scheduled && !this.committing && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.committing) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    this.committing = true;
    const group = this.waiting;
    this.waiting = [];
    try {
      const outcomes = await this.commit(group.map((w) => w.step));
      group.forEach((w, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) w.resolve(outcome.value);
        else w.reject(outcome.error);
      });
    } catch (error) {
      for (const w of group) w.reject(error);
    } finally {
      this.committing = false;
      if (this.waiting.length > 0) this.schedule();
      else for (const resolve of this.idle.splice(0)) resolve();
    }
  }
}
