// The memory:// store: the Store interface over plain Maps, for tests and single-process runs
// that may lose everything on restart. Time comes from an injectable clock so TTLs and leases can be
// tested with fake time.

import { DEFAULTS } from "../defaults.js";
import { StoreError } from "../errors.js";
import { decodeValue, durationMs, encodeValue } from "./encoding.js";
import { slotWait } from "./slot-wait.js";
import type {
  AppendedItem,
  BatchResult,
  ClaimOptions,
  QueueItem,
  SlotResult,
  SlotTicket,
  Store,
  WriteOp,
} from "./types.js";

export interface MemoryStoreOptions {
  now?: () => number;
  sweepIntervalMs?: number;
}

interface Entry {
  json: string;
  expiresAt?: number;
}

interface StoredItem {
  id: string;
  queue: string;
  group: string;
  seq: number;
  json: string;
  owner?: string;
}

export class MemoryStore implements Store {
  readonly kind = "memory" as const;
  private readonly kv = new Map<string, Entry>();
  /** Per queue, items by id in append order (which is seq order). */
  private readonly queues = new Map<string, Map<string, StoredItem>>();
  /** Per queue and group, the same items (what a `joinHolder` append and a `take` look at). */
  private readonly groups = new Map<string, Map<string, Map<string, StoredItem>>>();
  private readonly leases = new Map<string, number>();
  /** Per budget window, when each finished slot's call finished (by member). */
  private readonly slots = new Map<string, Map<string, number>>();
  /** Per budget window, when each slot whose call still runs was taken (by member). */
  private readonly flying = new Map<string, Map<string, number>>();
  /** Per budget window, the waiting line: each ticket's place and until when its holder may come back. */
  private readonly lines = new Map<string, Map<string, { since: number; until: number }>>();
  private seq = 0;
  private closed = false;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? DEFAULTS.storeSweepIntervalMs);
    this.sweeper.unref();
  }

  async get<T>(key: string): Promise<T | undefined> {
    this.assertOpen();
    const entry = this.live(key);
    return entry ? decodeValue<T>(entry.json) : undefined;
  }

  async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    this.assertOpen();
    this.kv.set(key, this.entry(value, ttlMs));
  }

  async delete(key: string): Promise<boolean> {
    this.assertOpen();
    const existed = this.live(key) !== undefined;
    this.kv.delete(key);
    return existed;
  }

  async setIfAbsent(key: string, value: unknown, ttlMs?: number): Promise<boolean> {
    this.assertOpen();
    if (this.live(key)) return false;
    this.kv.set(key, this.entry(value, ttlMs));
    return true;
  }

  async batch(ops: WriteOp[]): Promise<BatchResult> {
    this.assertOpen();
    // Encode everything first so a bad value fails the batch before anything is written.
    const encoded = ops.map((op) => {
      if (op.op === "set") return this.entry(op.value, op.ttlMs);
      if (op.op === "claim") return this.entry(op.value ?? true, op.ttlMs);
      if (op.op === "append" || op.op === "update") return encodeValue(op.payload);
      return undefined;
    });
    if (ops.some((op) => op.op === "claim" && this.live(op.key)))
      return { applied: false, appended: [], taken: [] };
    const appended: AppendedItem[] = [];
    const taken: QueueItem[] = [];
    ops.forEach((op, i) => {
      const data = encoded[i];
      switch (op.op) {
        case "set":
        case "claim":
          this.kv.set(op.key, data as Entry);
          break;
        case "delete":
          this.kv.delete(op.key);
          break;
        case "append": {
          const seq = ++this.seq;
          const joined =
            op.joinHolder && op.owner !== undefined ? this.join(op.queue, op.group, op.owner) : undefined;
          const item: StoredItem = {
            id: String(seq),
            queue: op.queue,
            group: op.group,
            seq,
            json: data as string,
            owner: joined?.owner ?? op.owner,
          };
          this.queue(op.queue).set(item.id, item);
          this.group(op.queue, op.group).set(item.id, item);
          appended.push(joined ? { ...toItem(item), earlier: joined.earlier } : toItem(item));
          break;
        }
        case "take":
          taken.push(...this.take(op.queue, op.group, op.owner));
          break;
        case "update": {
          const item = this.queues.get(op.queue)?.get(op.id);
          if (item) item.json = data as string;
          break;
        }
        case "ack": {
          const item = this.queues.get(op.queue)?.get(op.id);
          if (!item) break;
          this.queues.get(op.queue)?.delete(op.id);
          const group = this.groups.get(op.queue);
          group?.get(item.group)?.delete(op.id);
          if (group?.get(item.group)?.size === 0) group.delete(item.group);
          break;
        }
      }
    });
    return { applied: true, appended, taken };
  }

  /**
   * Who gets an item appended to `group` with `joinHolder`: the live holder of one of its items,
   * else the appender, which then takes the group's unheld items too.
   */
  private join(queue: string, group: string, appender: string): { owner: string; earlier: string[] } {
    const items = [...(this.groups.get(queue)?.get(group)?.values() ?? [])];
    const holder = items.find((i) => i.owner !== undefined && this.leaseLives(i.owner))?.owner ?? appender;
    if (holder === appender) for (const i of items) if (!this.heldByLive(i)) i.owner = appender;
    return { owner: holder, earlier: items.filter((i) => i.owner === holder).map((i) => i.id) };
  }

  private take(queue: string, group: string, owner: string): QueueItem[] {
    const items = [...(this.groups.get(queue)?.get(group)?.values() ?? [])];
    if (items.some((i) => i.owner !== owner && this.heldByLive(i))) return [];
    for (const i of items) i.owner = owner;
    return items.map((i) => toItem(i));
  }

  private heldByLive(item: StoredItem): boolean {
    return item.owner !== undefined && this.leaseLives(item.owner);
  }

  async renewLease(owner: string, leaseMs: number): Promise<void> {
    this.assertOpen();
    this.leases.set(owner, this.now() + durationMs(leaseMs, "leaseMs"));
  }

  async releaseLease(owner: string): Promise<void> {
    this.assertOpen();
    this.leases.delete(owner);
  }

  async claim<T>(queue: string, owner: string, options: ClaimOptions = {}): Promise<QueueItem<T>[]> {
    this.assertOpen();
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const taken: QueueItem<T>[] = [];
    const items = [...(this.queues.get(queue)?.values() ?? [])];
    // A group of which another live process holds an item stays with that process, in order.
    const blockedGroups = new Set<string>();
    for (const item of items)
      if (item.owner !== owner && this.heldByLive(item)) blockedGroups.add(item.group);
    for (const item of items) {
      if (taken.length >= limit) break;
      const own = options.includeOwn === true && item.owner === owner;
      if (!own && this.heldByLive(item)) continue;
      if (blockedGroups.has(item.group)) continue;
      item.owner = owner;
      taken.push(toItem<T>(item));
    }
    return taken;
  }

  async queueSize(queue: string): Promise<number> {
    this.assertOpen();
    return this.queues.get(queue)?.size ?? 0;
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
  }

  async listLeases(): Promise<string[]> {
    this.assertOpen();
    return [...this.leases.keys()].filter((owner) => this.leaseLives(owner));
  }

  async takeSlot(
    key: string,
    spanMs: number,
    limit: number,
    member: string,
    ticket?: SlotTicket,
  ): Promise<SlotResult> {
    this.assertOpen();
    const now = this.now();
    const done = [...this.window(this.slots, key, spanMs).values()].sort((a, b) => a - b);
    const flying = this.window(this.flying, key, DEFAULTS.budgetSlotMaxFlightMs);
    const count = done.length + flying.size;
    let waitMs = count < limit ? 0 : slotWait(done[count - limit], spanMs, now);
    if (ticket) {
      const line = this.line(key);
      leave(line, ticket.id);
      const ahead = ticketsAhead(ticket, line);
      if (waitMs === 0 && ahead >= limit - count)
        waitMs = Math.min(slotWait(done[count + ahead - limit], spanMs, now), DEFAULTS.budgetLineGraceMs);
      const until = now + waitMs + DEFAULTS.budgetLineGraceMs;
      if (waitMs > 0) line.set(ticket.id, { since: ticket.since, until });
      for (const [i, since] of (ticket.behind ?? []).entries())
        line.set(`${ticket.id}#${i + 1}`, { since, until });
    }
    if (waitMs > 0) return { taken: false, waitMs };
    flying.set(member, now);
    return { taken: true, left: limit - count - 1 };
  }

  async leaveLine(key: string, id: string): Promise<void> {
    this.assertOpen();
    const line = this.lines.get(key);
    if (line) leave(line, id);
  }

  async finishSlot(key: string, spanMs: number, member: string): Promise<void> {
    this.assertOpen();
    const done = this.window(this.slots, key, spanMs);
    if (this.window(this.flying, key, DEFAULTS.budgetSlotMaxFlightMs).delete(member) || done.has(member))
      done.set(member, this.now());
  }

  async listSlots(key: string, spanMs: number): Promise<number[]> {
    this.assertOpen();
    const done = this.window(this.slots, key, spanMs).values();
    const flying = this.window(this.flying, key, DEFAULTS.budgetSlotMaxFlightMs).values();
    return [...done, ...flying].sort((a, b) => a - b);
  }

  /** A budget window's waiting line, without the tickets whose holder did not come back in time. */
  private line(key: string): Map<string, { since: number; until: number }> {
    let line = this.lines.get(key);
    if (!line) {
      line = new Map();
      this.lines.set(key, line);
    }
    const now = this.now();
    for (const [id, { until }] of line) if (until <= now) line.delete(id);
    return line;
  }

  /** A budget window's slots of one kind, without those older than `spanMs`. */
  private window(of: Map<string, Map<string, number>>, key: string, spanMs: number): Map<string, number> {
    let times = of.get(key);
    if (!times) {
      times = new Map();
      of.set(key, times);
    }
    const now = this.now();
    for (const [member, at] of times) if (at <= now - spanMs) times.delete(member);
    return times;
  }

  /** Drops expired keys and leases; reads ignore them anyway. */
  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.kv)
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.kv.delete(key);
    for (const [owner, until] of this.leases) if (until <= now) this.leases.delete(owner);
  }

  private live(key: string): Entry | undefined {
    const entry = this.kv.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= this.now()) {
      this.kv.delete(key);
      return undefined;
    }
    return entry;
  }

  private leaseLives(owner: string): boolean {
    const until = this.leases.get(owner);
    return until !== undefined && until > this.now();
  }

  private entry(value: unknown, ttlMs: number | undefined): Entry {
    const json = encodeValue(value);
    return ttlMs === undefined ? { json } : { json, expiresAt: this.now() + durationMs(ttlMs, "ttlMs") };
  }

  private group(queue: string, group: string): Map<string, StoredItem> {
    let groups = this.groups.get(queue);
    if (!groups) {
      groups = new Map();
      this.groups.set(queue, groups);
    }
    let items = groups.get(group);
    if (!items) {
      items = new Map();
      groups.set(group, items);
    }
    return items;
  }

  private queue(name: string): Map<string, StoredItem> {
    let items = this.queues.get(name);
    if (!items) {
      items = new Map();
      this.queues.set(name, items);
    }
    return items;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError("STORE_UNAVAILABLE", "the memory store was closed");
  }

  private readonly locks = new Map<string, { owner: string; until: number }>();

  async holdLock(name: string, owner: string, ttlMs: number): Promise<boolean> {
    this.assertOpen();
    const until = this.now() + durationMs(ttlMs, "ttlMs");
    const held = this.locks.get(name);
    if (held && held.owner !== owner && held.until > this.now()) return false;
    this.locks.set(name, { owner, until });
    return true;
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    this.assertOpen();
    if (this.locks.get(name)?.owner === owner) this.locks.delete(name);
  }

  async lockHolder(name: string): Promise<string | undefined> {
    this.assertOpen();
    const held = this.locks.get(name);
    return held && held.until > this.now() ? held.owner : undefined;
  }
}

function toItem<T>(item: StoredItem): QueueItem<T> {
  const out: QueueItem<T> = {
    id: item.id,
    queue: item.queue,
    group: item.group,
    seq: item.seq,
    payload: decodeValue<T>(item.json),
  };
  if (item.owner !== undefined) out.owner = item.owner;
  return out;
}

/** Takes a process's ticket and the calls it said wait behind it out of the line. */
function leave(line: Map<string, unknown>, id: string): void {
  line.delete(id);
  let i = 1;
  while (line.delete(`${id}#${i}`)) i++;
}

/** How many other entries go first: a lower `since`, or the same and a lower name (as Redis orders them). */
function ticketsAhead(ticket: SlotTicket, line: Map<string, { since: number }>): number {
  let ahead = 0;
  for (const [id, { since }] of line)
    if (id !== ticket.id && (since < ticket.since || (since === ticket.since && id < ticket.id))) ahead++;
  return ahead;
}
