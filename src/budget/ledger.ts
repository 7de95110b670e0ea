// Where a budget's window log lives. With a store, every slot is taken in the store itself, in one
// atomic step, so all processes on one store share one budget and a restart does not spend a
// window twice. Without one (unit tests, tools), the log is this process's alone.
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
  /** Takes a slot at `now` if the rolling window has one; otherwise says how long until one frees. */
  tryTake(now: number): Promise<TakeResult>;
  /** Reads what other processes (or this one before a restart) spent, for snapshots and estimates. */
  load?(): Promise<void>;
}

export class LocalLedger implements SlotLedger {
  constructor(readonly log: WindowLog) {}

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

  load(): Promise<void> {
    this.loaded ??= this.store.listSlots(this.key, this.log.spanMs).then((times) => this.log.merge(times));
    // A failed read is tried again next time (the store may be back).
    this.loaded.catch(() => {
      this.loaded = undefined;
    });
    return this.loaded;
  }

  async tryTake(now: number): Promise<TakeResult> {
    await this.load();
    const member = `${this.prefix}:${++this.sequence}`;
    const result = await this.store.takeSlot(this.key, this.log.spanMs, this.log.limit, member);
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
}
