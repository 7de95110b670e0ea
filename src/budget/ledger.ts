// Where a budget's window log lives. With a store, every slot is taken in the store itself, in one
// atomic step, so all processes on one store share one budget and a restart does not spend a
// window twice; there each process's waiting call also holds a ticket in the window's waiting line,
// with the process's other waiting calls behind it, so free slots go to the longest-waiting call of
// any process. Without a store (unit tests, tools), the log is this process's alone.
import { randomUUID } from "node:crypto";
import type { Store } from "../store/types.js";
import type { WindowLog } from "./window-log.js";

/** `finished` moves the call's entry to when it completed (ms since epoch, this process's clock). */
export type TakeResult =
  | { taken: true; finished: (at: number) => Promise<void> }
  | { taken: false; waitMs: number };

export interface SlotLedger {
  /** This process's copy of the log, for snapshots and wait estimates. */
  readonly log: WindowLog;
  /**
   * Takes a slot at `now` if the rolling window has one; otherwise says how long until one frees.
   * With `since`, this process stands in the store's waiting line with a call waiting since then,
   * and gets a slot only while fewer calls that waited longer (in any process) wait than are free;
   * `behind` gives the places of its other waiting calls, which stand in the line too (asked only
   * while the last answer left fewer free slots than this process had calls waiting).
   */
  tryTake(now: number, since?: number, behind?: () => readonly number[]): Promise<TakeResult>;
  /** Reads what other processes (or this one before a restart) spent, for snapshots and estimates. */
  load?(): Promise<void>;
  /** Leaves the waiting line, if this process stands in it (it stopped waiting). */
  leaveLine?(): Promise<void>;
  /**
   * Whether the window had room at the last look, as far as this ledger knows: when the server
   * says otherwise, someone outside the bridge spends the key.
   */
  hadRoom(now: number): boolean;
}

export class LocalLedger implements SlotLedger {
  constructor(readonly log: WindowLog) {}

  hadRoom(now: number): boolean {
    return this.log.remaining(now) > 0;
  }

  async tryTake(now: number): Promise<TakeResult> {
    const freeAt = this.log.nextFreeAt(now);
    if (freeAt > now) return { taken: false, waitMs: freeAt - now };
    this.log.add(now);
    return {
      taken: true,
      finished: async (at) => this.log.move(now, at),
    };
  }
}

export class SharedLedger implements SlotLedger {
  private readonly key: string;
  private readonly prefix = randomUUID().slice(0, 8);
  private sequence = 0;

  constructor(
    readonly log: WindowLog,
    id: string,
    private readonly store: Store,
  ) {
    this.key = `budget:${id}`;
  }

  private loaded?: Promise<void>;
  /** Whether this process's ticket stands in the store's waiting line. */
  private inLine = false;
  /** The store's last answer found the shared window full (refused, or no slot left after ours). */
  private sawFull = false;
  /** The last answer left fewer free slots than this process had calls waiting: they go in line too. */
  private crowded = false;

  load(): Promise<void> {
    this.loaded ??= this.store.listSlots(this.key, this.log.spanMs).then((times) => this.log.merge(times));
    // A failed read is tried again next time (the store may be back).
    this.loaded.catch(() => {
      this.loaded = undefined;
    });
    return this.loaded;
  }

  async tryTake(now: number, since?: number, behind?: () => readonly number[]): Promise<TakeResult> {
    await this.load();
    const member = `${this.prefix}:${++this.sequence}`;
    const others = since !== undefined && this.crowded ? behind?.() : undefined;
    const ticket =
      since === undefined
        ? undefined
        : { id: this.prefix, since, ...(others && others.length > 0 && { behind: others }) };
    const result = await this.store.takeSlot(this.key, this.log.spanMs, this.log.limit, member, ticket);
    this.inLine = ticket !== undefined && (!result.taken || ticket.behind !== undefined);
    this.sawFull = !result.taken || result.left === 0;
    this.crowded = !result.taken || result.left < (others?.length ?? 0) + 1;
    if (!result.taken) return { taken: false, waitMs: result.waitMs };
    this.log.add(now);
    return {
      taken: true,
      finished: async (at) => {
        this.log.move(now, at);
        await this.store.finishSlot(this.key, this.log.spanMs, member);
      },
    };
  }

  /** Other processes' calls count too: only the store's answers say whether the shared window was full. */
  hadRoom(now: number): boolean {
    return !this.sawFull && this.log.remaining(now) > 0;
  }

  async leaveLine(): Promise<void> {
    if (!this.inLine) return;
    this.inLine = false;
    await this.store.leaveLine(this.key, this.prefix);
  }
}
