// The redis:// store: the Store interface on one Redis server, shared by any number of bridge
// processes. Every key starts with a fixed prefix; multi-key steps (a batch, a claim) are Lua scripts,
// so each is atomic. Calls fail fast while Redis is away (no offline queue) and never outlast the op
// timeout; the client reconnects on its own with capped backoff.
import { createHash } from "node:crypto";
import { createClient, ErrorReply } from "@redis/client";
import type { Logger } from "pino";
import { DEFAULTS } from "../defaults.js";
import { StoreError } from "../errors.js";
import { decodeValue, durationMs, encodeValue } from "./encoding.js";
import { withOpTimeout } from "./op-timeout.js";
import { redactStoreUrl } from "./store-url.js";
import type {
  AppendedItem,
  BatchResult,
  ClaimOptions,
  QueueItem,
  SlotResult,
  Store,
  WriteOp,
} from "./types.js";

/** The batch script's answer: {0}, or {1, per append {seq, owner, earlier ids}, per taken item {queue, id, group, payload, owner}}. */
type BatchReply =
  | [0]
  | [1, Array<[number, string, Array<string | number>]>, Array<[string, string, string, string, string]>];

export interface RedisStoreOptions {
  opTimeoutMs?: number;
  /** Prefix of every key; defaults to DEFAULTS.storeRedisPrefix. */
  prefix?: string;
  logger?: Logger;
}

// Key layout under the prefix P: P.."kv:"..key (JSON text), P.."seq" (the global append counter),
// P.."q:"..queue (sorted set of item ids scored by seq), P.."g:"..#queue..":"..queue..":"..group
// (the same for one group), P.."item:"..queue..":"..id (hash of grp, payload, owner),
// P.."lease:"..owner (exists while the lease lives). An item's id is its seq as text.

// What both scripts share: whether an owner's lease lives (asked once per script run), and a group's
// items with their holders.
const COMMON = `
local P = ARGV[1]
local live = {}
local function lives(holder)
  if not holder then return false end
  if live[holder] == nil then live[holder] = redis.call('EXISTS', P .. 'lease:' .. holder) == 1 end
  return live[holder]
end
local function group_key(queue, grp) return P .. 'g:' .. #queue .. ':' .. queue .. ':' .. grp end
local function members(queue, grp)
  local out = {}
  for _, id in ipairs(redis.call('ZRANGE', group_key(queue, grp), 0, -1)) do
    local key = P .. 'item:' .. queue .. ':' .. id
    local fields = redis.call('HMGET', key, 'grp', 'owner')
    if fields[1] then table.insert(out, {id, key, fields[2]}) end
  end
  return out
end
`;

// ARGV[1] prefix, ARGV[2] the ops as JSON (values already JSON text in `data`). Checks every claim
// first and writes nothing when one is taken; returns {0}, or {1, appended, taken} where each
// appended entry is {seq, owner or '', earlier ids} and each taken one {queue, id, grp, payload, owner}.
const BATCH = `${COMMON}
local ops = cjson.decode(ARGV[2])
for _, op in ipairs(ops) do
  if op.op == 'claim' and redis.call('EXISTS', P .. 'kv:' .. op.key) == 1 then return {0} end
end
local appended, taken = {}, {}
for _, op in ipairs(ops) do
  if op.op == 'set' or op.op == 'claim' then
    if op.ttl then
      redis.call('SET', P .. 'kv:' .. op.key, op.data, 'PX', op.ttl)
    else
      redis.call('SET', P .. 'kv:' .. op.key, op.data)
    end
  elseif op.op == 'delete' then
    redis.call('DEL', P .. 'kv:' .. op.key)
  elseif op.op == 'append' then
    local seq = redis.call('INCR', P .. 'seq')
    local id = tostring(seq)
    local owner = op.owner
    local earlier = {}
    if op.join and owner then
      local items = members(op.queue, op.group)
      local holder = owner
      for _, m in ipairs(items) do
        if lives(m[3]) then holder = m[3]; break end
      end
      for _, m in ipairs(items) do
        if holder == owner and not lives(m[3]) then
          redis.call('HSET', m[2], 'owner', owner)
          m[3] = owner
        end
        if m[3] == holder then table.insert(earlier, m[1]) end
      end
      owner = holder
    end
    local item = P .. 'item:' .. op.queue .. ':' .. id
    redis.call('HSET', item, 'grp', op.group, 'payload', op.data)
    if owner then redis.call('HSET', item, 'owner', owner) end
    redis.call('ZADD', P .. 'q:' .. op.queue, seq, id)
    redis.call('ZADD', group_key(op.queue, op.group), seq, id)
    table.insert(appended, {seq, owner or '', earlier})
  elseif op.op == 'take' then
    local items = members(op.queue, op.group)
    local other = false
    for _, m in ipairs(items) do
      if m[3] and m[3] ~= op.owner and lives(m[3]) then other = true end
    end
    if not other then
      for _, m in ipairs(items) do
        redis.call('HSET', m[2], 'owner', op.owner)
        table.insert(taken, {op.queue, m[1], op.group, redis.call('HGET', m[2], 'payload'), op.owner})
      end
    end
  elseif op.op == 'update' then
    local item = P .. 'item:' .. op.queue .. ':' .. op.id
    if redis.call('EXISTS', item) == 1 then redis.call('HSET', item, 'payload', op.data) end
  elseif op.op == 'ack' then
    local item = P .. 'item:' .. op.queue .. ':' .. op.id
    local grp = redis.call('HGET', item, 'grp')
    redis.call('DEL', item)
    redis.call('ZREM', P .. 'q:' .. op.queue, op.id)
    if grp then redis.call('ZREM', group_key(op.queue, grp), op.id) end
  end
end
return {1, appended, taken}
`;

// ARGV: prefix, queue, claimant, limit (-1 for all), "1" to include the claimant's own. Walks the
// queue oldest first and takes items no live lease holds, leaving alone every group of which another
// live process holds an item (it answers that conversation, in order). Returns a flat list: id,
// seq, grp, payload for each item taken.
const CLAIM = `${COMMON}
local queue, owner, limit, own = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5] == '1'
local entries = redis.call('ZRANGE', P .. 'q:' .. queue, 0, -1, 'WITHSCORES')
local blocked, found, out, taken = {}, {}, {}, 0
for i = 1, #entries, 2 do
  local fields = redis.call('HMGET', P .. 'item:' .. queue .. ':' .. entries[i], 'grp', 'owner')
  found[i] = fields
  if fields[1] and fields[2] and fields[2] ~= owner and lives(fields[2]) then blocked[fields[1]] = true end
end
for i = 1, #entries, 2 do
  if limit >= 0 and taken >= limit then break end
  local id = entries[i]
  local item = P .. 'item:' .. queue .. ':' .. id
  local grp, holder = found[i][1], found[i][2]
  if grp and not blocked[grp] then
    local held = lives(holder)
    if own and holder == owner then held = false end
    if not held then
      redis.call('HSET', item, 'owner', owner)
      redis.call('ZADD', group_key(queue, grp), entries[i + 1], id)
      table.insert(out, id)
      table.insert(out, entries[i + 1])
      table.insert(out, grp)
      table.insert(out, redis.call('HGET', item, 'payload'))
      taken = taken + 1
    end
  end
end
return out
`;

// A budget window as two sorted sets: KEYS[1] the slots whose call finished, scored by when it did,
// and KEYS[2] those whose call still runs, scored by when they were taken (Redis's clock).
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

// ARGV: span ms, limit, member, longest flight ms. Returns {1} when taken, else {0, ms until one frees}.
const TAKE_SLOT = `${NOW}
local span, limit, flight = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - flight)
local done = redis.call('ZCARD', KEYS[1])
local count = done + redis.call('ZCARD', KEYS[2])
if count < limit then
  redis.call('ZADD', KEYS[2], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[2], flight)
  return {1}
end
if count - limit >= done then return {0, span} end
local blocker = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
return {0, tonumber(blocker[2]) + span - now}
`;

// ARGV: member, span ms. The call finished now: the slot counts a span from now.
const FINISH_SLOT = `${NOW}
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 or redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
end
return 0
`;

// ARGV: span ms, longest flight ms. The times of the slots that count now, both kinds.
const LIST_SLOTS = `${NOW}
local out = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - tonumber(ARGV[1])), '+inf', 'WITHSCORES')
for _, v in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. (now - tonumber(ARGV[2])), '+inf', 'WITHSCORES')) do
  table.insert(out, v)
end
return out
`;

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

  async takeSlot(key: string, spanMs: number, limit: number, member: string): Promise<SlotResult> {
    const reply = (await this.script(
      "takeSlot",
      TAKE_SLOT,
      [String(spanMs), String(limit), member, String(DEFAULTS.budgetSlotMaxFlightMs)],
      this.slotKeys(key),
    )) as number[];
    return reply[0] === 1 ? { taken: true } : { taken: false, waitMs: Math.max(0, Number(reply[1])) };
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

const shas = new Map<string, string>();
function sha1(source: string): string {
  let sha = shas.get(source);
  if (!sha) {
    sha = createHash("sha1").update(source).digest("hex");
    shas.set(source, sha);
  }
  return sha;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// A named lock is P.."lock:"..name holding its owner, expiring with PX. KEYS[1] the lock; ARGV: owner,
// ttl ms. Takes a free lock or renews one the owner holds; returns 1 when the owner holds it after.
const HOLD_LOCK = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
return 1
`;

// KEYS[1] the lock; ARGV[1] owner. Deletes it only while that owner holds it.
const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`;
