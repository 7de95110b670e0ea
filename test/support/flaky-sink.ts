// A recording sink whose store is down for the first N accepts: each of them throws a StoreError, as
// the relay does when it cannot durably keep a message. Lets adapter tests act out an outage.
import type { AcceptOutcome, InboundMessage } from "../../src/adapter.js";
import { StoreError, type StoreErrorCode } from "../../src/errors.js";
import { RecordingSink } from "./adapter-contract.js";

export class FlakySink extends RecordingSink {
  /** Every accept() call in order, refused or taken. */
  readonly attempts: Array<{ text: string; refused: boolean }> = [];
  private refusalWaiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(
    private failuresLeft: number,
    private readonly code: StoreErrorCode = "STORE_UNAVAILABLE",
  ) {
    super();
  }

  /** Refuses the next `count` accepts as well. */
  failNext(count: number): void {
    this.failuresLeft += count;
  }

  get refusals(): number {
    return this.attempts.filter((a) => a.refused).length;
  }

  /** Resolves once `count` accepts in all have been refused (already or later). */
  refused(count = 1): Promise<void> {
    if (this.refusals >= count) return Promise.resolve();
    return new Promise((resolve) => this.refusalWaiters.push({ count, resolve }));
  }

  override async accept(message: InboundMessage): Promise<AcceptOutcome> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      this.attempts.push({ text: message.text, refused: true });
      const reached = this.refusalWaiters.filter((w) => this.refusals >= w.count);
      this.refusalWaiters = this.refusalWaiters.filter((w) => this.refusals < w.count);
      for (const w of reached) w.resolve();
      throw new StoreError(this.code, "the store cannot take the message right now");
    }
    this.attempts.push({ text: message.text, refused: false });
    return super.accept(message);
  }
}
