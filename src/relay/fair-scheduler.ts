// Decides which conversation's waiting messages go to the assistant next: round-robin across
// conversations (one busy user cannot starve the others), one call in flight per conversation (so a
// conversation's messages are answered in the order sent), and everything a conversation has queued
// taken together when its turn comes (so a burst can be merged into one call). Conversations stand
// in lanes (one per API key): each lane keeps its own line, and a lane the caller says is full is
// passed over, so a key out of room never holds back a conversation another key could serve now.

export interface Batch<T> {
  conversationKey: string;
  /** The lane the conversation stands in ("" when lanes are not used). */
  lane: string;
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
      /** The lane of a conversation, read from its first item (conversations never change lane). */
      laneOf?: (item: T) => string;
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
  /** Per lane: conversations with waiting items and nothing in flight, in turn order. */
  private readonly ready = new Map<string, string[]>();
  private readonly isReady = new Set<string>();
  /** The lane of each conversation with items waiting or a call in flight. */
  private readonly laneOfConversation = new Map<string, string>();
  private readonly inFlight = new Set<string>();
  private readonly inFlightPerLane = new Map<string, number>();
  /** Lanes in the order take() visits them; it starts after the lane it served last. */
  private readonly lanes: string[] = [];
  private nextLane = 0;
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

  /** Calls in flight in a lane. */
  inFlightIn(lane: string): number {
    return this.inFlightPerLane.get(lane) ?? 0;
  }

  /** The conversations waiting for their turn in a lane (none of their calls in flight), with their items. */
  *waitingIn(lane: string): Iterable<[conversationKey: string, items: readonly T[]]> {
    for (const conversationKey of this.ready.get(lane) ?? [])
      yield [conversationKey, this.queues.get(conversationKey) ?? []];
  }

  /** Adds an item; returns how many turns are ahead of it (its position in the line, 1-based). */
  push(conversationKey: string, item: T): number {
    const queue = this.queues.get(conversationKey) ?? [];
    queue.push(item);
    this.queues.set(conversationKey, queue);
    this.total++;
    if (!this.laneOfConversation.has(conversationKey)) {
      this.laneOfConversation.set(conversationKey, this.options.laneOf?.(item) ?? "");
    }
    if (!this.inFlight.has(conversationKey)) this.makeReady(conversationKey);
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

  /** Turns ahead of this conversation's next call in its lane, counting calls in flight there. */
  positionOf(conversationKey: string): number {
    const lane = this.laneOfConversation.get(conversationKey) ?? "";
    const line = this.ready.get(lane) ?? [];
    const index = line.indexOf(conversationKey);
    const behind = index === -1 ? line.length : index;
    return this.inFlightIn(lane) + behind + 1;
  }

  /**
   * Takes the next conversation in turn from the next lane that has one and that `admits` (default:
   * every lane), and marks it in flight; `max` caps how many of its items are taken (1 when merging
   * is off). Returns undefined when no admitted lane has a conversation ready.
   */
  take(max = Number.POSITIVE_INFINITY, admits: (lane: string) => boolean = () => true): Batch<T> | undefined {
    for (let i = 0; i < this.lanes.length; i++) {
      const index = (this.nextLane + i) % this.lanes.length;
      const lane = this.lanes[index]!;
      const line = this.ready.get(lane);
      if (!line || line.length === 0 || !admits(lane)) continue;
      this.nextLane = (index + 1) % this.lanes.length;
      const conversationKey = line.shift()!;
      this.isReady.delete(conversationKey);
      const queue = this.queues.get(conversationKey) ?? [];
      const items = queue.splice(
        0,
        this.options.isAlone?.(queue[0]!) ? 1 : this.mergeable(queue, Math.max(1, max)),
      );
      this.total -= items.length;
      if (queue.length === 0) this.queues.delete(conversationKey);
      this.inFlight.add(conversationKey);
      this.inFlightPerLane.set(lane, this.inFlightIn(lane) + 1);
      return { conversationKey, lane, items };
    }
    return undefined;
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
    if (this.inFlight.delete(conversationKey)) {
      const lane = this.laneOfConversation.get(conversationKey) ?? "";
      this.inFlightPerLane.set(lane, Math.max(0, this.inFlightIn(lane) - 1));
    }
    if (this.queues.has(conversationKey)) this.makeReady(conversationKey);
    else this.laneOfConversation.delete(conversationKey);
  }

  private makeReady(conversationKey: string): void {
    if (this.isReady.has(conversationKey)) return;
    const lane = this.laneOfConversation.get(conversationKey) ?? "";
    let line = this.ready.get(lane);
    if (!line) {
      line = [];
      this.ready.set(lane, line);
      this.lanes.push(lane);
    }
    line.push(conversationKey);
    this.isReady.add(conversationKey);
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
