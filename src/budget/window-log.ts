// The sliding-window arithmetic, free of clocks and I/O: a sorted log of call times, where a call
// occupies its slot for `spanMs` (the window plus a small margin). A call is logged when it starts
// and moved to when it finished: the server counted it at some moment in between, so the slot is
// held until the server's window has certainly let go of it. No more than `limit` calls ever start
// within any `spanMs`, so none within any window.

export class WindowLog {
  private times: number[] = [];

  constructor(
    readonly limit: number,
    readonly spanMs: number,
  ) {}

  /** Adds start times (e.g. loaded from the store) and keeps the log sorted. */
  merge(times: readonly number[]): void {
    this.times = [...this.times, ...times].sort((a, b) => a - b);
  }

  add(at: number): void {
    this.merge([at]);
  }

  /** A call logged at `from` finished at `to`: it holds its slot from then on. */
  move(from: number, to: number): void {
    const index = this.times.indexOf(from);
    if (index === -1) return;
    this.times.splice(index, 1);
    this.add(to);
  }

  /** The times still occupying a slot at `now`. */
  entries(now: number): number[] {
    const firstLive = this.times.findIndex((at) => at > now - this.spanMs);
    this.times = firstLive === -1 ? [] : this.times.slice(firstLive);
    return [...this.times];
  }

  remaining(now: number): number {
    return Math.max(0, this.limit - this.entries(now).length);
  }

  /** The earliest time ≥ now at which one more call may start. */
  nextFreeAt(now: number): number {
    const live = this.entries(now);
    if (live.length < this.limit) return now;
    return live[live.length - this.limit]! + this.spanMs;
  }

  /**
   * When the call `queuedAhead` places back in line would start if every call ahead of it starts
   * as early as the window (and `notBefore`, e.g. a server pause) allows. Worked out directly, not
   * call by call: a line of 90,000 (a contact backlog) costs what a line of one does. The calls
   * from the `limit`-th on each start one span after the call `limit` places ahead of them.
   */
  projectedStart(now: number, queuedAhead: number, notBefore = now): number {
    const live = this.entries(now);
    const earliest = Math.max(now, notBefore);
    const cycles = Math.floor(queuedAhead / this.limit);
    const blockerIndex = live.length + (queuedAhead % this.limit) - this.limit;
    const first = blockerIndex >= 0 ? Math.max(earliest, live[blockerIndex]! + this.spanMs) : earliest;
    return first + cycles * this.spanMs;
  }
}
