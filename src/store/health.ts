// Whether the store answers, as the bridge last saw it. Every store failure the bridge meets is
// reported here; the state changes (and is logged) once when the store goes away and once when it
// comes back, however many calls failed in between. /readyz reads it.
import type { Logger } from "pino";
import { StoreError } from "../errors.js";
import type { Store } from "./types.js";

export type StoreState = { ok: true } | { ok: false; code: string; since: number };

export class StoreHealth {
  private current: StoreState = { ok: true };
  private probing?: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly probeEveryMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): StoreState {
    return this.current;
  }

  /** Passes a store call through, noting whether it worked. */
  async watch<T>(call: Promise<T>): Promise<T> {
    try {
      const result = await call;
      this.up();
      return result;
    } catch (error) {
      if (error instanceof StoreError) this.down(error);
      throw error;
    }
  }

  /** The store failed: note it, and probe until it answers again. */
  down(error: StoreError): void {
    if (!this.current.ok) return;
    this.current = { ok: false, code: error.code, since: this.now() };
    this.logger.error(
      { code: error.code, err: error },
      "the store is not answering: intake is refused until it is back",
    );
    this.probing = setInterval(() => void this.probe(), this.probeEveryMs);
    this.probing.unref();
  }

  up(): void {
    if (this.current.ok) return;
    const downFor = this.now() - this.current.since;
    this.current = { ok: true };
    clearInterval(this.probing);
    this.probing = undefined;
    this.logger.info({ downForMs: downFor }, "the store answers again");
  }

  /** Checks the store now, within `timeoutMs`, and updates the state. */
  async check(timeoutMs: number): Promise<StoreState> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreError("STORE_TIMEOUT", `the store did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await this.watch(Promise.race([this.store.ping(), late]));
    } catch {
      // the state says what happened
    } finally {
      clearTimeout(timer);
    }
    return this.current;
  }

  stop(): void {
    clearInterval(this.probing);
    this.probing = undefined;
  }

  private async probe(): Promise<void> {
    try {
      await this.store.ping();
      this.up();
    } catch {
      // still down; the next probe tries again
    }
  }
}
