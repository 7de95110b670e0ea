// Counts the assistant calls in flight per API key and says whether a key has room for one more:
// each key's limit comes from its own budget (rate × how long a call holds its place in flight,
// see budget/concurrency.ts),
// capped by relay.concurrency, so a key whose calls all wait for its budget holds no other key back.
import type { CallBudget } from "../budget/types.js";
import { DEFAULTS } from "../defaults.js";

export class KeyDispatch {
  private readonly active = new Map<string, number>();

  constructor(
    private readonly budgetFor: (apiKey: string) => CallBudget,
    private readonly cap: () => number | undefined,
  ) {}

  /** Calls in flight on this key now may be one more. */
  hasRoom(apiKey: string): boolean {
    return (this.active.get(apiKey) ?? 0) < this.limitFor(apiKey);
  }

  limitFor(apiKey: string): number {
    const cap = this.cap() ?? DEFAULTS.chatConcurrency;
    return this.budgetFor(apiKey).inFlightLimit?.(cap) ?? cap;
  }

  begin(apiKey: string): void {
    this.active.set(apiKey, (this.active.get(apiKey) ?? 0) + 1);
  }

  end(apiKey: string): void {
    const left = (this.active.get(apiKey) ?? 1) - 1;
    if (left > 0) this.active.set(apiKey, left);
    else this.active.delete(apiKey);
  }
}
