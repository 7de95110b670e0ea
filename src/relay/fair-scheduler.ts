// Decides which conversation's waiting messages go to the assistant next: round-robin across
// conversations (one busy user cannot starve the others), one call in flight per conversation (so a
// conversation's messages are answered in the order sent), and everything a conversation has queued
// taken together when its turn comes (so a burst can be merged into one call).

export interface Batch<T> {
  conversationKey: string;
  items: T[];
}

export class FairScheduler<T> {
  /**
   * `isAlone` marks items never merged with others (a /reset between two questions); `sizeOf` and
   * `maxSize` cap how much one merged call may carry (the first item always goes, whatever its size).
   */
  constructor(
    private readonly options: {
      isAlone?: (item: T) => boolean;
      sizeOf?: (item: T) => number;
      maxSize?: number;
    } = {},
  ) {}

  /** How many items from the front go into one call: up to max and maxSize, stopping before a lone item. */
  private mergeable(queue: T[], max: number, alreadyTaken = 0): number {
    const { isAlone, sizeOf, maxSize = Number.POSITIVE_INFINITY } = this.options;
    const limit = Math.min(max, queue.length);
    let n = 0;
    let size = alreadyTaken;
    while (n < limit && !isAlone?.(queue[n]!)) {
      size += sizeOf?.(queue[n]!) ?? 0;
      if (size > maxSize && (n > 0 || alreadyTaken > 0)) break;
      n++;
    }
    return n;
  }

  private readonly queues = new Map<string, T[]>();
  /** Conversations with waiting items and nothing in flight, in turn order. */
  private readonly ready: string[] = [];
  private readonly inFlight = new Set<string>();
  private total = 0;

  get size(): number {
    return this.total;
  }

  queuedFor(conversationKey: string): number {
    return this.queues.get(conversationKey)?.length ?? 0;
  }

  isBusy(conversationKey: string): boolean {
    return this.inFlight.has(conversationKey);
  }

  /** Adds an item; returns how many turns are ahead of it (its position in the line, 1-based). */
  push(conversationKey: string, item: T): number {
    const queue = this.queues.get(conversationKey) ?? [];
    queue.push(item);
    this.queues.set(conversationKey, queue);
    this.total++;
    if (!this.inFlight.has(conversationKey) && !this.ready.includes(conversationKey)) {
      this.ready.push(conversationKey);
    }
    return this.positionOf(conversationKey);
  }

  /**
   * Adds an item where `compare` puts it among its conversation's waiting items (work taken over
   * from a stopped process goes before what arrived here after it).
   */
  insertInOrder(conversationKey: string, item: T, compare: (a: T, b: T) => number): number {
    const queue = this.queues.get(conversationKey);
    const at = queue?.findIndex((waiting) => compare(item, waiting) < 0) ?? -1;
    if (!queue || at === -1) return this.push(conversationKey, item);
    queue.splice(at, 0, item);
    this.total++;
    return this.positionOf(conversationKey);
  }

  /** Turns ahead of this conversation's next call, counting calls in flight. */
  positionOf(conversationKey: string): number {
    const index = this.ready.indexOf(conversationKey);
    const behind = index === -1 ? this.ready.length : index;
    return this.inFlight.size + behind + 1;
  }

  /**
   * Takes the next conversation in turn and marks it in flight; `max` caps how many of its items
   * are taken (1 when merging is off). Returns undefined when no conversation is ready.
   */
  take(max = Number.POSITIVE_INFINITY): Batch<T> | undefined {
    const conversationKey = this.ready.shift();
    if (conversationKey === undefined) return undefined;
    const queue = this.queues.get(conversationKey) ?? [];
    const items = queue.splice(
      0,
      this.options.isAlone?.(queue[0]!) ? 1 : this.mergeable(queue, Math.max(1, max)),
    );
    this.total -= items.length;
    if (queue.length === 0) this.queues.delete(conversationKey);
    this.inFlight.add(conversationKey);
    return { conversationKey, items };
  }

  /** Takes what arrived for an in-flight conversation since its batch was taken (late merging). */
  takeMore(conversationKey: string, max = Number.POSITIVE_INFINITY, sizeTaken = 0): T[] {
    const queue = this.queues.get(conversationKey);
    if (!queue || max <= 0) return [];
    const items = queue.splice(0, this.mergeable(queue, max, sizeTaken));
    this.total -= items.length;
    if (queue.length === 0) this.queues.delete(conversationKey);
    return items;
  }

  /** The conversation's call finished; it goes to the back of the line if more is waiting. */
  done(conversationKey: string): void {
    this.inFlight.delete(conversationKey);
    if (this.queues.has(conversationKey)) this.ready.push(conversationKey);
  }

  /** Puts items back at the front of their conversation (a call to retry) and ends its turn. */
  requeue(conversationKey: string, items: T[]): void {
    const queue = this.queues.get(conversationKey) ?? [];
    queue.unshift(...items);
    this.queues.set(conversationKey, queue);
    this.total += items.length;
    this.done(conversationKey);
  }
}
