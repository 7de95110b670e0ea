// The store layer's one interface, implemented by memory://, sqlite:// and redis://. Everything the
// bridge keeps (sessions, the message queue, dedup claims, contact sync, webhook events, budgets,
// Slack installations) goes through it. Every call either does what it says or throws a StoreError:
// nothing here returns "undefined" or "false" for a failure.

export type StoreKind = "memory" | "sqlite" | "redis";

/** A message, contact or webhook event waiting in a durable queue. */
export interface QueueItem<T = unknown> {
  /** Unique within the store; stable across restarts. */
  id: string;
  queue: string;
  /** Items of one group (a conversation) come back in the order appended. */
  group: string;
  /** Grows with every append to the store, across processes. */
  seq: number;
  payload: T;
  /** The process holding the item, while its lease lives. */
  owner?: string;
}

/**
 * One write of an atomic batch. A batch either applies every op or none: when a `claim` finds its
 * key already taken, nothing in the batch is written and `applied` is false.
 */
export type WriteOp =
  | { op: "set"; key: string; value: unknown; ttlMs?: number }
  | { op: "delete"; key: string }
  /** Takes `key` only if nobody holds it (a dedup claim); fails the whole batch otherwise. */
  | { op: "claim"; key: string; value?: unknown; ttlMs?: number }
  /**
   * Appends to a queue, held by `owner` from the start (so no other process claims it first), or
   * unowned (claimable by anyone, the appending process included) when `owner` is absent.
   *
   * With `joinHolder`, the item goes to the live process already holding an item of its group, if
   * any (so one process answers a conversation at a time, in order); otherwise to `owner`, which
   * then also takes the group's items no live lease holds. The stored item says who got it, and
   * `earlier` lists the group's older items that process now holds.
   */
  | { op: "append"; queue: string; group: string; payload: unknown; owner?: string; joinHolder?: boolean }
  /**
   * Takes for `owner` (at its place in the batch) every item of `group` that it holds or that no
   * live lease holds, oldest first (in `taken`); none when another live process holds one of them.
   */
  | { op: "take"; queue: string; group: string; owner: string }
  /** Replaces an item's payload (e.g. a reply's progress); a no-op for an item already acked. */
  | { op: "update"; queue: string; id: string; payload: unknown }
  | { op: "ack"; queue: string; id: string };

/** An item as an `append` stored it. */
export interface AppendedItem<T = unknown> extends QueueItem<T> {
  /** With `joinHolder`: ids of the group's older items its owner holds, oldest first. */
  earlier?: string[];
}

export interface BatchResult {
  applied: boolean;
  /** One entry per `append` op, in order: the stored items. Empty when not applied. */
  appended: AppendedItem[];
  /** The items of every `take` op, in order. Empty when not applied. */
  taken: QueueItem[];
}

export interface ClaimOptions {
  /** At most this many items; they come oldest first. */
  limit?: number;
  /**
   * Also returns items `owner` holds itself under its live lease: for a process that cannot tell
   * whether a write it saw fail (a dropped connection) was applied before the failure.
   */
  includeOwn?: boolean;
}

/**
 * The answer of `takeSlot`: a slot taken (and how many are still free after it), or how long until
 * the oldest blocking one leaves the window.
 */
export type SlotResult = { taken: true; left: number } | { taken: false; waitMs: number };

/**
 * A process's place in a budget window's waiting line: the window's free slots go to the oldest
 * ticket first, whichever process holds it, so waiting work is served in turn across processes.
 */
export interface SlotTicket {
  /** Names the waiting process; one ticket per process and window. */
  id: string;
  /** Since when its call has waited (ms since epoch): the lower, the sooner it gets a slot. */
  since: number;
  /**
   * Since when each of the process's other calls for this window has waited, oldest first: they
   * stand in the line too (as `<id>#1`, `<id>#2` …), so a slot freed while the process comes back
   * for its next call is not given to a call that waited less. They stay after the ticket takes its
   * slot, until the process comes back (and says anew what waits) or its grace runs out.
   */
  behind?: readonly number[];
}

export interface Store {
  readonly kind: StoreKind;

  // Key-value, JSON values, optional time to live.
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlMs?: number): Promise<void>;
  /** True when the key existed. */
  delete(key: string): Promise<boolean>;
  /** Atomic claim: true for exactly one of any number of racing callers, across processes. */
  setIfAbsent(key: string, value: unknown, ttlMs?: number): Promise<boolean>;

  /** Several writes in one transaction (SQLite) or one round trip (Redis, one Lua script). */
  batch(ops: WriteOp[]): Promise<BatchResult>;

  // Durable queues. Ownership is by process: each process keeps one lease alive with `renewLease`;
  // items whose owner's lease has expired (a crash) or was released (a graceful stop) can be claimed.
  /** Keeps `owner`'s lease alive for `leaseMs` more; every item it holds stays its own. */
  renewLease(owner: string, leaseMs: number): Promise<void>;
  /** Ends `owner`'s lease at once: its items can be claimed by the next claimant. */
  releaseLease(owner: string): Promise<void>;
  /**
   * Takes items of `queue` that no live lease holds (oldest first) and makes them `owner`'s: unowned
   * items, and items whose owner's lease expired or was released. Items held by `owner` itself
   * under a live lease are not returned again. A group (a conversation) of which another live
   * process holds any item is left to that process entirely.
   */
  claim<T>(queue: string, owner: string, options?: ClaimOptions): Promise<QueueItem<T>[]>;
  /** Owners whose lease is alive now (so a process can tell which of its host's peers have died). */
  listLeases(): Promise<string[]>;
  /** Items in the queue, held or not. */
  queueSize(queue: string): Promise<number>;

  // Rolling-window slots (the call budgets): shared by every process on the store, atomic.
  /**
   * Takes a slot named `member` in window `key` if fewer than `limit` count now (on the store's
   * clock), else says how long until one frees. A slot counts from when it is taken while its call
   * runs, however long, and `spanMs` after `finishSlot`; one never finished (its process died)
   * stops counting DEFAULTS.budgetSlotMaxFlightMs after it was taken.
   *
   * With a `ticket`, the caller stands in the window's waiting line (or updates its place there):
   * it gets a free slot only while fewer older tickets wait than slots are free, and otherwise is
   * told how long until a slot could free once those took theirs (at most
   * DEFAULTS.budgetLineGraceMs). Taking the slot ends the ticket. A ticket whose holder has not come
   * back within DEFAULTS.budgetLineGraceMs of the wait it was told (a dead process) leaves the line.
   * Without a ticket, the line is ignored.
   */
  takeSlot(
    key: string,
    spanMs: number,
    limit: number,
    member: string,
    ticket?: SlotTicket,
  ): Promise<SlotResult>;
  /** Takes ticket `id` out of window `key`'s waiting line (its process stopped waiting). */
  leaveLine(key: string, id: string): Promise<void>;
  /** The slot's call finished now: it counts for `spanMs` more (the server saw the call by then). */
  finishSlot(key: string, spanMs: number, member: string): Promise<void>;
  /**
   * When the slots counting in window `key` were taken, or finished for those finished (ms since
   * epoch, the store's clock), oldest first.
   */
  listSlots(key: string, spanMs: number): Promise<number[]>;

  /** Resolves when the store answers; throws a StoreError when it does not (for /readyz, doctor). */
  ping(): Promise<void>;
  close(): Promise<void>;

  // Named locks (one holder at a time, across processes): which replica polls Telegram or holds a
  // Discord gateway shard. A holder keeps its lock by renewing it; a crashed holder's lock expires.
  /**
   * Takes lock `name` for `owner` for `ttlMs` if it is free or expired, or renews it when `owner`
   * holds it already; false when another owner holds it. Atomic across processes.
   */
  holdLock(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Frees lock `name` at once, only if `owner` holds it. */
  releaseLock(name: string, owner: string): Promise<void>;
  /** Who holds lock `name` now, or undefined when it is free. */
  lockHolder(name: string): Promise<string | undefined>;
}
