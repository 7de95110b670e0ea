// Where a budget's window log lives. The default keeps it in-process and writes it to the store
// after every reservation (read back at start), so a restart does not spend a window twice.
// redis-ledger.ts makes the reservation itself atomic across processes on Redis.
import type Keyv from "keyv";
import type { Logger } from "pino";
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
  close(): Promise<void>;
}

export class StoredLedger implements SlotLedger {
  private loaded?: Promise<void>;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly log: WindowLog,
    private readonly id: string,
    private readonly logger: Logger,
    private readonly keyv?: Keyv<number[]>,
  ) {}

  async tryTake(now: number): Promise<TakeResult> {
    await this.load();
    const freeAt = this.log.nextFreeAt(now);
    if (freeAt > now) return { taken: false, waitMs: freeAt - now };
    this.log.add(now);
    await this.persist(now);
    return {
      taken: true,
      finished: async (at) => {
        this.log.move(now, at);
        await this.persist(at);
      },
    };
  }

  /** Reads the persisted log once; a store that cannot be read starts from an empty log. */
  load(): Promise<void> {
    this.loaded ??= (async () => {
      try {
        const saved = await this.keyv?.get(this.id);
        if (Array.isArray(saved)) this.log.merge(saved.filter((t) => typeof t === "number"));
      } catch (error) {
        this.logger.warn(
          { budget: this.id, err: error },
          "could not read the saved call budget; starting empty",
        );
      }
    })();
    return this.loaded;
  }

  /** Waits for the last write, so the saved log is complete before the store closes. */
  async close(): Promise<void> {
    await this.writing;
  }

  /**
   * Writes go one after another and each saves the log as it is when the write starts, so an older
   * copy can never land after a newer one. A write that fails only costs restart safety, so the
   * call goes ahead and the failure is logged.
   */
  private persist(now: number): Promise<void> {
    const keyv = this.keyv;
    if (!keyv) return Promise.resolve();
    this.writing = this.writing.then(async () => {
      try {
        await keyv.set(this.id, this.log.entries(now), this.log.spanMs);
      } catch (error) {
        this.logger.warn({ budget: this.id, err: error }, "could not save the call budget");
      }
    });
    return this.writing;
  }
}
