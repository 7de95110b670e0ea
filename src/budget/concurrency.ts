// How many calls to keep in flight on one API key. Little's law: calls in flight = the rate they
// start at × how long each takes. The rate is the key's budget; the time is how long a call holds
// its place once it has its slot (the assistant's answer, then posting the reply), a moving
// average; one more lets a call start while another is finishing. Bounded by a cap, and at least one.
import type { RateSpec } from "./types.js";

export function inFlightLimit(rate: RateSpec, heldMs: number, cap: number): number {
  const needed = Math.ceil((rate.limit / rate.windowMs) * Math.max(0, heldMs)) + 1;
  return Math.max(1, Math.min(cap, needed));
}

/** An exponentially weighted moving average of call durations, in ms. */
export class LatencyAverage {
  private average?: number;

  constructor(private readonly weight = 0.2) {}

  observe(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.average = this.average === undefined ? ms : this.average + this.weight * (ms - this.average);
  }

  get valueMs(): number | undefined {
    return this.average;
  }
}
