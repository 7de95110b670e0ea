// The sqlite:// store: the Store interface on one SQLite file through better-sqlite3, for a single
// host (several processes may share the file). WAL lets reads go on while another process writes;
// better-sqlite3 is synchronous, so a held write lock is never waited on inside SQLite (that would
// block the event loop): the call is retried with short asynchronous pauses until the op timeout.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import type { Logger } from "pino";
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
  Store,
  WriteOp,
} from "./types.js";

export interface SqliteStoreOptions {
  opTimeoutMs?: number;
  now?: () => number;
  sweepIntervalMs?: number;
  logger?: Logger;
}

/** Throws when the native driver cannot be loaded (a failed build), before any file is touched. */
export function loadSqliteDriver(): void {
  new Database(":memory:").close();
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    expires_at INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS kv_expires ON kv (expires_at) WHERE expires_at IS NOT NULL;
  CREATE TABLE IF NOT EXISTS queue_items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    grp TEXT NOT NULL,
    payload TEXT NOT NULL,
    owner TEXT
  );
  CREATE INDEX IF NOT EXISTS queue_items_by_queue ON queue_items (queue, seq);
  CREATE INDEX IF NOT EXISTS queue_items_by_group ON queue_items (queue, grp, seq);
  CREATE TABLE IF NOT EXISTS leases (
    owner TEXT PRIMARY KEY,
    until INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS slots (
    key TEXT NOT NULL,
    member TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (key, member)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS slots_by_time ON slots (key, at);
  CREATE TABLE IF NOT EXISTS slots_flying (
    key TEXT NOT NULL,
    member TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (key, member)
  ) WITHOUT ROWID;
`;

// Claimable: no live lease holds the item, and no other live process holds an item of its group
// (that process answers the conversation, in order). An item's id is its seq, as text.
const CLAIMABLE = `
  WITH blocked AS (
    SELECT DISTINCT j.grp FROM queue_items j
    JOIN leases l ON l.owner = j.owner AND l.until > @now
    WHERE j.queue = @queue AND j.owner <> @owner
  )
  SELECT i.seq, i.grp, i.payload FROM queue_items i
  LEFT JOIN leases l ON l.owner = i.owner AND l.until > @now
  WHERE i.queue = @queue AND (l.owner IS NULL OR (@own = 1 AND i.owner = @owner))
    AND i.grp NOT IN (SELECT grp FROM blocked)
  ORDER BY i.seq
  LIMIT @limit
`;

type Row = { seq: number; grp: string; payload: string };
/** An item of a group, with whether its owner's lease lives. */
type Member = { seq: number; owner: string | null; live: 0 | 1; payload: string };

export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  const file = resolve(path);
  mkdirSync(dirname(file), { recursive: true });
  // Created private before SQLite opens it; SQLite gives the -wal and -shm files the same mode.
  closeSync(openSync(file, "a", 0o600));
  const db = new Database(file, { timeout: 0 });
  try {
    const store = new SqliteStore(db, file, options);
    await store.init();
    return store;
  } catch (err) {
    db.close();
    throw err;
  }
}

export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  private closed = false;
  private readonly now: () => number;
  private readonly opTimeoutMs: number;
  private readonly logger: Logger | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly sweepIntervalMs: number;
  private statements!: ReturnType<typeof prepare>;
  private batchTx!: Database.Transaction<(ops: WriteOp[], encoded: string[]) => BatchResult>;
  private finishSlotTx!: Database.Transaction<(key: string, member: string) => void>;
  private takeSlotTx!: Database.Transaction<
    (key: string, spanMs: number, limit: number, member: string) => SlotResult
  >;

  constructor(
    private readonly db: Database.Database,
    readonly file: string,
    options: SqliteStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.opTimeoutMs = options.opTimeoutMs ?? DEFAULTS.storeOpTimeoutMs;
    this.sweepIntervalMs = options.sweepIntervalMs ?? DEFAULTS.storeSweepIntervalMs;
    this.logger = options.logger;
  }

  /** Sets WAL, creates the tables, makes the files private and sweeps once. */
  async init(): Promise<void> {
    await this.run("open", () => {
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = NORMAL");
      this.db.exec(SCHEMA);
    });
    for (const f of [this.file, `${this.file}-wal`, `${this.file}-shm`])
      if (existsSync(f)) chmodSync(f, 0o600);
    this.statements = prepare(this.db);
    this.batchTx = this.db.transaction((ops: WriteOp[], encoded: string[]) => this.applyBatch(ops, encoded));
    this.takeSlotTx = this.db.transaction((key: string, spanMs: number, limit: number, member: string) => {
      const s = this.statements;
      const now = this.now();
      s.pruneSlots.run(key, now - spanMs);
      s.pruneFlying.run(key, now - DEFAULTS.budgetSlotMaxFlightMs);
      const done = (s.slotTimes.all(key, now - spanMs) as Array<{ at: number }>).map((r) => r.at);
      const { n: flying } = s.countFlying.get(key) as { n: number };
      const count = done.length + flying;
      if (count < limit) {
        s.putFlying.run(key, member, now);
        return { taken: true } as const;
      }
      return { taken: false, waitMs: slotWait(done, count - limit, spanMs, now) } as const;
    });
    this.finishSlotTx = this.db.transaction((key: string, member: string) => {
      const now = this.now();
      if (this.statements.landFlying.run(key, member).changes > 0)
        this.statements.putSlot.run(key, member, now);
      else this.statements.moveSlot.run(now, key, member);
    });
    await this.sweep();
    this.sweeper = setInterval(() => {
      this.sweep().catch((err: unknown) => this.logger?.warn({ err }, "sweeping expired store rows failed"));
    }, this.sweepIntervalMs);
    this.sweeper.unref();
  }

  async get<T>(key: string): Promise<T | undefined> {
    const row = await this.run("get", () => this.statements.get.get(key, this.now()) as { value: string });
    return row ? decodeValue<T>(row.value) : undefined;
  }

  async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    const json = encodeValue(value);
    const ttl = validTtl(ttlMs);
    await this.run("set", () => this.statements.set.run(key, json, this.expiry(ttl)));
  }

  async delete(key: string): Promise<boolean> {
    return this.run("delete", () => {
      const row = this.statements.delete.get(key) as { expires_at: number | null } | undefined;
      return row !== undefined && (row.expires_at === null || row.expires_at > this.now());
    });
  }

  async setIfAbsent(key: string, value: unknown, ttlMs?: number): Promise<boolean> {
    const json = encodeValue(value);
    const ttl = validTtl(ttlMs);
    return this.run("setIfAbsent", () => {
      const now = this.now();
      const expiresAt = this.expiry(ttl);
      return this.statements.setIfAbsent.run({ key, json, expiresAt, now }).changes === 1;
    });
  }

  async batch(ops: WriteOp[]): Promise<BatchResult> {
    const encoded = ops.map((op) => {
      if (op.op === "set" || op.op === "claim") validTtl(op.ttlMs);
      if (op.op === "set") return encodeValue(op.value);
      if (op.op === "claim") return encodeValue(op.value ?? true);
      if (op.op === "append" || op.op === "update") return encodeValue(op.payload);
      return "";
    });
    return this.run("batch", () => this.batchTx.immediate(ops, encoded));
  }

  async renewLease(owner: string, leaseMs: number): Promise<void> {
    const ms = durationMs(leaseMs, "leaseMs");
    await this.run("renewLease", () => this.statements.renewLease.run(owner, this.now() + ms));
  }

  async releaseLease(owner: string): Promise<void> {
    await this.run("releaseLease", () => this.statements.releaseLease.run(owner));
  }

  async claim<T>(queue: string, owner: string, options: ClaimOptions = {}): Promise<QueueItem<T>[]> {
    const limit = options.limit ?? -1;
    // One statement: the claimable items change owner together, or none does.
    const rows = await this.run("claim", () =>
      (
        this.statements.claim.all({
          queue,
          owner,
          now: this.now(),
          limit,
          own: options.includeOwn ? 1 : 0,
        }) as Row[]
      ).sort((a, b) => a.seq - b.seq),
    );
    return rows.map((row) => ({
      id: String(row.seq),
      queue,
      group: row.grp,
      seq: row.seq,
      payload: decodeValue<T>(row.payload),
      owner,
    }));
  }

  async listLeases(): Promise<string[]> {
    return this.run("listLeases", () =>
      (this.statements.liveLeases.all(this.now()) as Array<{ owner: string }>).map((r) => r.owner),
    );
  }

  async takeSlot(key: string, spanMs: number, limit: number, member: string): Promise<SlotResult> {
    return this.run("takeSlot", () => this.takeSlotTx.immediate(key, spanMs, limit, member));
  }

  async finishSlot(key: string, _spanMs: number, member: string): Promise<void> {
    await this.run("finishSlot", () => this.finishSlotTx.immediate(key, member));
  }

  async listSlots(key: string, spanMs: number): Promise<number[]> {
    return this.run("listSlots", () => {
      const now = this.now();
      const done = this.statements.slotTimes.all(key, now - spanMs) as Array<{ at: number }>;
      const flying = this.statements.flyingTimes.all(key, now - DEFAULTS.budgetSlotMaxFlightMs) as Array<{
        at: number;
      }>;
      return [...done, ...flying].map((r) => r.at).sort((a, b) => a - b);
    });
  }

  async queueSize(queue: string): Promise<number> {
    return this.run("queueSize", () => (this.statements.queueSize.get(queue) as { n: number }).n);
  }

  async ping(): Promise<void> {
    await this.run("ping", () => this.statements.ping.get());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    this.db.close();
  }

  /** Deletes expired keys and leases; reads already ignore them. */
  async sweep(): Promise<{ keys: number; leases: number }> {
    return this.run("sweep", () => {
      const now = this.now();
      return {
        keys: this.statements.sweepKeys.run(now).changes,
        leases: this.statements.sweepLeases.run(now).changes,
      };
    });
  }

  /** Checks every claim, then applies every op; runs inside one IMMEDIATE transaction. */
  private applyBatch(ops: WriteOp[], encoded: string[]): BatchResult {
    const s = this.statements;
    const now = this.now();
    for (const op of ops)
      if (op.op === "claim" && s.exists.get(op.key, now)) return { applied: false, appended: [], taken: [] };
    const appended: AppendedItem[] = [];
    const taken: QueueItem[] = [];
    ops.forEach((op, i) => {
      const data = encoded[i]!;
      switch (op.op) {
        case "set":
        case "claim":
          s.set.run(op.key, data, this.expiry(op.ttlMs === undefined ? undefined : Math.ceil(op.ttlMs)));
          break;
        case "delete":
          s.delete.get(op.key);
          break;
        case "append": {
          const joined =
            op.joinHolder && op.owner !== undefined
              ? this.join(op.queue, op.group, op.owner, now)
              : undefined;
          const owner = joined?.owner ?? op.owner;
          const seq = Number(s.append.run(op.queue, op.group, data, owner).lastInsertRowid);
          const { queue, group } = op;
          const item: AppendedItem = {
            id: String(seq),
            queue,
            group,
            seq,
            payload: decodeValue(data),
            owner,
          };
          if (joined) item.earlier = joined.earlier;
          appended.push(item);
          break;
        }
        case "take": {
          const members = s.groupItems.all(now, op.queue, op.group) as Member[];
          if (members.some((m) => m.live === 1 && m.owner !== op.owner)) break;
          for (const m of members) {
            s.setOwner.run(op.owner, m.seq);
            const { queue, group, owner } = op;
            taken.push({
              id: String(m.seq),
              queue,
              group,
              seq: m.seq,
              payload: decodeValue(m.payload),
              owner,
            });
          }
          break;
        }
        case "update":
          s.update.run(data, op.queue, itemSeq(op.id));
          break;
        case "ack":
          s.ack.run(op.queue, itemSeq(op.id));
          break;
      }
    });
    return { applied: true, appended, taken };
  }

  /**
   * Who gets an item appended to `group` with `joinHolder`: the live holder of one of its items,
   * else the appender, which then takes the group's unheld items too.
   */
  private join(
    queue: string,
    group: string,
    appender: string,
    now: number,
  ): { owner: string; earlier: string[] } {
    const members = this.statements.groupItems.all(now, queue, group) as Member[];
    const holder = members.find((m) => m.live === 1)?.owner ?? appender;
    const earlier: string[] = [];
    for (const m of members) {
      if (holder === appender && m.live === 0) {
        this.statements.setOwner.run(appender, m.seq);
        m.owner = appender;
      }
      if (m.owner === holder) earlier.push(String(m.seq));
    }
    return { owner: holder, earlier };
  }

  private expiry(ttlMs: number | undefined): number | null {
    return ttlMs === undefined ? null : this.now() + ttlMs;
  }

  /**
   * Runs one synchronous step, retrying it after a short pause while another connection holds the
   * write lock, until the op timeout; maps driver errors to StoreError.
   */
  private async run<T>(what: string, step: () => T): Promise<T> {
    const deadline = Date.now() + this.opTimeoutMs;
    let pause = 1;
    for (;;) {
      if (this.closed)
        throw new StoreError("STORE_UNAVAILABLE", `SQLite store ${what}: the store was closed`);
      try {
        return step();
      } catch (err) {
        if (!isBusy(err)) {
          throw new StoreError("STORE_FAILED", `SQLite store ${what} failed: ${messageOf(err)}`, {
            cause: err,
          });
        }
        if (Date.now() + pause > deadline) {
          throw new StoreError(
            "STORE_BUSY",
            `SQLite store ${what}: another process held the database lock for over ${this.opTimeoutMs} ms`,
            { cause: err },
          );
        }
        await new Promise((r) => setTimeout(r, pause * (0.5 + Math.random())));
        pause = Math.min(pause * 2, 25);
      }
    }
  }

  private lockStatements?: ReturnType<typeof prepareLocks>;

  async holdLock(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const ms = durationMs(ttlMs, "ttlMs");
    return this.run("holdLock", () => {
      const now = this.now();
      return this.locks().hold.run({ name, owner, until: now + ms, now }).changes === 1;
    });
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    await this.run("releaseLock", () => this.locks().release.run(name, owner));
  }

  async lockHolder(name: string): Promise<string | undefined> {
    const row = await this.run(
      "lockHolder",
      () => this.locks().holder.get(name, this.now()) as { owner: string } | undefined,
    );
    return row?.owner;
  }

  /** The locks table, created on first use (older files do not have it). */
  private locks(): ReturnType<typeof prepareLocks> {
    this.lockStatements ??= prepareLocks(this.db);
    return this.lockStatements;
  }
}

function prepare(db: Database.Database) {
  return {
    get: db.prepare("SELECT value FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)"),
    exists: db.prepare("SELECT 1 FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)"),
    set: db.prepare(
      `INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
    ),
    setIfAbsent: db.prepare(
      `INSERT INTO kv (key, value, expires_at) VALUES (@key, @json, @expiresAt)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
       WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= @now`,
    ),
    delete: db.prepare("DELETE FROM kv WHERE key = ? RETURNING expires_at"),
    append: db.prepare("INSERT INTO queue_items (queue, grp, payload, owner) VALUES (?, ?, ?, ?)"),
    update: db.prepare("UPDATE queue_items SET payload = ? WHERE queue = ? AND seq = ?"),
    ack: db.prepare("DELETE FROM queue_items WHERE queue = ? AND seq = ?"),
    groupItems: db.prepare(
      `SELECT i.seq, i.owner, i.payload, (l.owner IS NOT NULL) AS live FROM queue_items i
       LEFT JOIN leases l ON l.owner = i.owner AND l.until > ?
       WHERE i.queue = ? AND i.grp = ? ORDER BY i.seq`,
    ),
    setOwner: db.prepare("UPDATE queue_items SET owner = ? WHERE seq = ?"),
    claim: db.prepare(
      `UPDATE queue_items SET owner = @owner WHERE seq IN (SELECT seq FROM (${CLAIMABLE}))
       RETURNING seq, grp, payload`,
    ),
    queueSize: db.prepare("SELECT COUNT(*) AS n FROM queue_items WHERE queue = ?"),
    renewLease: db.prepare(
      "INSERT INTO leases (owner, until) VALUES (?, ?) ON CONFLICT (owner) DO UPDATE SET until = excluded.until",
    ),
    releaseLease: db.prepare("DELETE FROM leases WHERE owner = ?"),
    sweepKeys: db.prepare("DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?"),
    sweepLeases: db.prepare("DELETE FROM leases WHERE until <= ?"),
    liveLeases: db.prepare("SELECT owner FROM leases WHERE until > ?"),
    pruneSlots: db.prepare("DELETE FROM slots WHERE key = ? AND at <= ?"),
    putSlot: db.prepare("INSERT OR REPLACE INTO slots (key, member, at) VALUES (?, ?, ?)"),
    pruneFlying: db.prepare("DELETE FROM slots_flying WHERE key = ? AND at <= ?"),
    countFlying: db.prepare("SELECT COUNT(*) AS n FROM slots_flying WHERE key = ?"),
    putFlying: db.prepare("INSERT OR REPLACE INTO slots_flying (key, member, at) VALUES (?, ?, ?)"),
    landFlying: db.prepare("DELETE FROM slots_flying WHERE key = ? AND member = ?"),
    flyingTimes: db.prepare("SELECT at FROM slots_flying WHERE key = ? AND at > ?"),
    moveSlot: db.prepare("UPDATE slots SET at = ? WHERE key = ? AND member = ?"),
    slotTimes: db.prepare("SELECT at FROM slots WHERE key = ? AND at > ? ORDER BY at"),
    ping: db.prepare("SELECT 1"),
  };
}

function validTtl(ttlMs: number | undefined): number | undefined {
  return ttlMs === undefined ? undefined : durationMs(ttlMs, "ttlMs");
}

/** An item id is its seq as text; anything else names no item. */
function itemSeq(id: string): number {
  return /^\d+$/.test(id) ? Number(id) : -1;
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// One row per named lock; a row whose `until` has passed is free for anyone to take.
function prepareLocks(db: Database.Database) {
  db.exec(`CREATE TABLE IF NOT EXISTS locks (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    until INTEGER NOT NULL
  ) WITHOUT ROWID`);
  return {
    hold: db.prepare(
      `INSERT INTO locks (name, owner, until) VALUES (@name, @owner, @until)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
       WHERE locks.owner = excluded.owner OR locks.until <= @now`,
    ),
    release: db.prepare("DELETE FROM locks WHERE name = ? AND owner = ?"),
    holder: db.prepare("SELECT owner FROM locks WHERE name = ? AND until > ?"),
  };
}
