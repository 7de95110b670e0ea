// The redis:// store: the Store interface on one Redis server, shared by any number of bridge
// processes. Every key starts with a fixed prefix; multi-key steps (a batch, a claim) are Lua scripts,
// so each is atomic. Calls fail fast while Redis is away (no offline queue) and never outlast the op
// timeout; the client reconnects on its own with capped backoff.
import { createClient, ErrorReply } from "@redis/client";
import type { Logger } from "pino";
import { DEFAULTS } from "../defaults.js";
import { StoreError } from "../errors.js";
import { decodeValue, durationMs, encodeValue } from "./encoding.js";
import { withOpTimeout } from "./op-timeout.js";
import {
  BATCH,
  type BatchReply,
  CLAIM,
  FINISH_SLOT,
  HOLD_LOCK,
  LEAVE_LINE,
  LIST_SLOTS,
  RELEASE_LOCK,
  sha1,
  TAKE_SLOT,
} from "./redis-scripts.js";
import { redactStoreUrl } from "./store-url.js";
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

export interface RedisStoreOptions {
  opTimeoutMs?: number;
  /** Prefix of every key; defaults to DEFAULTS.storeRedisPrefix. */
  prefix?: string;
  logger?: Logger;
}

type Client = ReturnType<typeof createClient>;

export async function openRedisStore(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
  const store = new RedisStore(url, options);
  await store.connect();
  return store;
}

export class RedisStore implements Store {
  readonly kind = "redis" as const;
  readonly prefix: string;
  private readonly client: Client;
  private readonly opTimeoutMs: number;
  private readonly logger: Logger | undefined;
  private readonly shown: string;
  private connectedOnce = false;
  private down = false;
  private closed = false;

  constructor(url: string, options: RedisStoreOptions = {}) {
    this.prefix = options.prefix ?? DEFAULTS.storeRedisPrefix;
    this.opTimeoutMs = options.opTimeoutMs ?? DEFAULTS.storeOpTimeoutMs;
    this.logger = options.logger;
    this.shown = redactStoreUrl(url);
    this.client = createClient({
      url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: this.opTimeoutMs,
        // The first connect fails at once (open reports it); later drops are retried forever.
        reconnectStrategy: (attempt, cause) => (this.connectedOnce ? Math.min(attempt * 100, 2000) : cause),
      },
    });
    this.client.on("error", (err: unknown) => {
      if (this.down || !this.connectedOnce) return;
      this.down = true;
      this.logger?.warn({ err, store: this.shown }, "lost the connection to Redis; reconnecting");
    });
    this.client.on("ready", () => {
      if (this.down) this.logger?.info({ store: this.shown }, "reconnected to Redis");
      this.down = false;
    });
  }

  async connect(): Promise<void> {
    try {
      await withOpTimeout(this.client.connect(), this.opTimeoutMs, `connecting to Redis at ${this.shown}`);
      this.connectedOnce = true;
    } catch (err) {
      this.closed = true;
      if (this.client.isOpen) this.client.destroy();
      throw new StoreError("STORE_UNAVAILABLE", `cannot reach Redis at ${this.shown}: ${messageOf(err)}`, {
        cause: err,
      });
    }
  }

  async get<T>(key: string): Promise<T | undefined> {
    const text = await this.call("get", (c) => c.get(this.kv(key)));
    return text === null ? undefined : decodeValue<T>(text);
  }

  async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    const json = encodeValue(value);
    const options = ttlMs === undefined ? {} : { expiration: px(ttlMs) };
    await this.call("set", (c) => c.set(this.kv(key), json, options));
  }

  async delete(key: string): Promise<boolean> {
    return (await this.call("delete", (c) => c.del(this.kv(key)))) > 0;
  }

  async setIfAbsent(key: string, value: unknown, ttlMs?: number): Promise<boolean> {
    const json = encodeValue(value);
    const options = { condition: "NX" as const, ...(ttlMs === undefined ? {} : { expiration: px(ttlMs) }) };
    const reply = await this.call("setIfAbsent", (c) => c.set(this.kv(key), json, options));
    return reply === "OK";
  }

  async batch(ops: WriteOp[]): Promise<BatchResult> {
    const wire = ops.map((op) => {
      switch (op.op) {
        case "set":
          return { op: op.op, key: op.key, data: encodeValue(op.value), ...ttl(op.ttlMs) };
        case "claim":
          return { op: op.op, key: op.key, data: encodeValue(op.value ?? true), ...ttl(op.ttlMs) };
        case "append":
          return {
            op: op.op,
            queue: op.queue,
            group: op.group,
            owner: op.owner,
            join: op.joinHolder === true,
            data: encodeValue(op.payload),
          };
        case "update":
          return { op: op.op, queue: op.queue, id: op.id, data: encodeValue(op.payload) };
        default:
          return op;
      }
    });
    const reply = (await this.script("batch", BATCH, [this.prefix, JSON.stringify(wire)])) as BatchReply;
    if (reply[0] !== 1) return { applied: false, appended: [], taken: [] };
    const [, stored, takenFlat] = reply;
    const appended: AppendedItem[] = [];
    for (const sent of wire) {
      if (sent.op !== "append") continue;
      const [seqReply, ownerReply, earlier] = stored[appended.length]!;
      const seq = Number(seqReply);
      const { queue, group, join, data } = sent;
      const owner = ownerReply === "" ? undefined : ownerReply;
      const item: AppendedItem = { id: String(seq), queue, group, seq, payload: decodeValue(data), owner };
      if (join) item.earlier = earlier.map(String);
      appended.push(item);
    }
    const taken = takenFlat.map(
      ([queue, id, group, payload, owner]): QueueItem => ({
        id,
        queue,
        group,
        seq: Number(id),
        payload: decodeValue(payload),
        owner,
      }),
    );
    return { applied: true, appended, taken };
  }

  async renewLease(owner: string, leaseMs: number): Promise<void> {
    const options = { expiration: px(leaseMs, "leaseMs") };
    await this.call("renewLease", (c) => c.set(this.lease(owner), "1", options));
  }

  async releaseLease(owner: string): Promise<void> {
    await this.call("releaseLease", (c) => c.del(this.lease(owner)));
  }

  async claim<T>(queue: string, owner: string, options: ClaimOptions = {}): Promise<QueueItem<T>[]> {
    const limit = String(options.limit ?? -1);
    const own = options.includeOwn ? "1" : "0";
    const flat = (await this.script("claim", CLAIM, [this.prefix, queue, owner, limit, own])) as string[];
    const items: QueueItem<T>[] = [];
    for (let i = 0; i < flat.length; i += 4) {
      items.push({
        id: flat[i]!,
        queue,
        group: flat[i + 2]!,
        seq: Number(flat[i + 1]),
        payload: decodeValue<T>(flat[i + 3]!),
        owner,
      });
    }
    return items;
  }

  async listLeases(): Promise<string[]> {
    const owners: string[] = [];
    const pattern = `${this.lease("")}*`;
    await this.call("listLeases", async (c) => {
      for await (const keys of c.scanIterator({ MATCH: pattern, COUNT: 200 }))
        for (const key of keys) owners.push(key.slice(pattern.length - 1));
    });
    return owners;
  }

  async takeSlot(
    key: string,
    spanMs: number,
    limit: number,
    member: string,
    ticket?: SlotTicket,
  ): Promise<SlotResult> {
    const reply = (await this.script(
      "takeSlot",
      TAKE_SLOT,
      [
        String(spanMs),
        String(limit),
        member,
        String(DEFAULTS.budgetSlotMaxFlightMs),
        ticket?.id ?? "",
        String(Math.round(ticket?.since ?? 0)),
        String(DEFAULTS.budgetLineGraceMs),
        ...(ticket?.behind ?? []).map((since) => String(Math.round(since))),
      ],
      [...this.slotKeys(key), ...this.lineKeys(key)],
    )) as number[];
    return reply[0] === 1
      ? { taken: true, left: Number(reply[1]) }
      : { taken: false, waitMs: Math.max(0, Number(reply[1])) };
  }

  async leaveLine(key: string, id: string): Promise<void> {
    await this.script("leaveLine", LEAVE_LINE, [id], this.lineKeys(key));
  }

  async finishSlot(key: string, spanMs: number, member: string): Promise<void> {
    await this.script("finishSlot", FINISH_SLOT, [member, String(spanMs)], this.slotKeys(key));
  }

  async listSlots(key: string, spanMs: number): Promise<number[]> {
    const flat = (await this.script(
      "listSlots",
      LIST_SLOTS,
      [String(spanMs), String(DEFAULTS.budgetSlotMaxFlightMs)],
      this.slotKeys(key),
    )) as string[];
    const times: number[] = [];
    for (let i = 1; i < flat.length; i += 2) times.push(Number(flat[i]));
    return times.sort((a, b) => a - b);
  }

  async queueSize(queue: string): Promise<number> {
    return this.call("queueSize", (c) => c.zCard(`${this.prefix}q:${queue}`));
  }

  async ping(): Promise<void> {
    await this.call("ping", (c) => c.ping());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A graceful close waits for replies; a frozen server must not hold the bridge's shutdown.
    if (this.client.isReady) {
      await withOpTimeout(this.client.close(), this.opTimeoutMs, "closing Redis").catch(() => {
        if (this.client.isOpen) this.client.destroy();
      });
    } else if (this.client.isOpen) this.client.destroy();
  }

  private kv(key: string): string {
    return `${this.prefix}kv:${key}`;
  }

  /** A budget window's finished slots and its slots in flight. */
  private slotKeys(key: string): [string, string] {
    return [`${this.prefix}slots:${key}`, `${this.prefix}flying:${key}`];
  }

  /** A budget window's waiting line: tickets by since when they waited, and by until when they may. */
  private lineKeys(key: string): [string, string] {
    return [`${this.prefix}line:${key}`, `${this.prefix}linedue:${key}`];
  }

  private lease(owner: string): string {
    return `${this.prefix}lease:${owner}`;
  }

  /** Runs a Lua script by its SHA, loading it on the first NOSCRIPT (a restarted or flushed server). */
  private async script(what: string, source: string, args: string[], keys: string[] = []): Promise<unknown> {
    const sha = sha1(source);
    return this.call(what, async (c) => {
      try {
        return await c.evalSha(sha, { keys, arguments: args });
      } catch (err) {
        if (!(err instanceof ErrorReply) || !err.message.startsWith("NOSCRIPT")) throw err;
        return c.eval(source, { keys, arguments: args });
      }
    });
  }

  /** One bounded call: fails at once while disconnected, with STORE_TIMEOUT past the op timeout. */
  private async call<T>(what: string, command: (client: Client) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreError("STORE_UNAVAILABLE", `Redis store ${what}: the store was closed`);
    if (!this.client.isReady) {
      throw new StoreError("STORE_UNAVAILABLE", `Redis store ${what}: not connected to ${this.shown}`);
    }
    try {
      return await withOpTimeout(command(this.client), this.opTimeoutMs, `Redis store ${what}`);
    } catch (err) {
      throw toStoreError(what, err);
    }
  }

  async holdLock(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const ms = String(durationMs(ttlMs, "ttlMs"));
    const reply = await this.script("holdLock", HOLD_LOCK, [owner, ms], [this.lockKey(name)]);
    return reply === 1;
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    await this.script("releaseLock", RELEASE_LOCK, [owner], [this.lockKey(name)]);
  }

  async lockHolder(name: string): Promise<string | undefined> {
    return (await this.call("lockHolder", (c) => c.get(this.lockKey(name)))) ?? undefined;
  }

  private lockKey(name: string): string {
    return `${this.prefix}lock:${name}`;
  }
}

function ttl(ttlMs: number | undefined): { ttl?: number } {
  return ttlMs === undefined ? {} : { ttl: durationMs(ttlMs, "ttlMs") };
}

function px(ms: number, what = "ttlMs"): { type: "PX"; value: number } {
  return { type: "PX", value: durationMs(ms, what) };
}

function toStoreError(what: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  if (err instanceof ErrorReply) {
    return new StoreError("STORE_FAILED", `Redis store ${what} failed: ${err.message}`, { cause: err });
  }
  // Anything else the client throws is about the connection (offline, closed, socket dropped).
  return new StoreError("STORE_UNAVAILABLE", `Redis store ${what}: ${messageOf(err)}`, { cause: err });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
