// The sqlite:// store: the Store interface on one SQLite file through better-sqlite3, for a single
// host (several processes may share the file). WAL lets reads go on while another process writes;
// better-sqlite3 is synchronous, so a held write lock is never waited on inside SQLite (that would
// block the event loop): the call is retried with short asynchronous pauses until the op timeout.
// Writes asked for in the same turn of the event loop share one transaction (group-commit.ts).
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import type { Logger } from "pino";
import { DEFAULTS } from "../defaults.js";
import { StoreError } from "../errors.js";
import { retry } from "../kit/retry.js";
import { decodeValue, durationMs, encodeValue } from "./encoding.js";
import { GroupCommit, type Outcome } from "./group-commit.js";
import { type Member, prepare, prepareLocks, prepareSlots, type Row, SCHEMA } from "./sqlite-schema.js";
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
  private closing?: Promise<void>;
  private readonly now: () => number;
  private readonly opTimeoutMs: number;
  private readonly logger: Logger | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly sweepIntervalMs: number;
  private statements!: ReturnType<typeof prepare>;
  private readonly writes = new GroupCommit((steps) =>
    this.run("write", () => this.groupTx.immediate(steps)),
  );
  /** One group of writes: each step in its own savepoint, so a failing step undoes only itself. */
  private groupTx!: Database.Transaction<(steps: Array<() => unknown>) => Outcome[]>;
  private savepoint!: Database.Transaction<(step: () => unknown) => unknown>;
  private slots!: ReturnType<typeof prepareSlots>;

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
    this.savepoint = this.db.transaction((step: () => unknown) => step());
    this.groupTx = this.db.transaction((steps: Array<() => unknown>) =>
      steps.map((step): Outcome => {
        try {
          return { ok: true, value: this.savepoint(step) };
        } catch (error) {
          // SQLite rolled the whole transaction back (a full disk, an I/O error): no step stands.
          if (!this.db.inTransaction) throw error;
          return { ok: false, error };
        }
      }),
    );
    this.slots = prepareSlots(this.db, this.statements, this.now);
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
    await this.write("set", () => this.statements.set.run(key, json, this.expiry(ttl)));
  }

  async delete(key: string): Promise<boolean> {
    return this.write("delete", () => {
      const row = this.statements.delete.get(key) as { expires_at: number | null } | undefined;
      return row !== undefined && (row.expires_at === null || row.expires_at > this.now());
    });
  }

  async setIfAbsent(key: string, value: unknown, ttlMs?: number): Promise<boolean> {
    const json = encodeValue(value);
    const ttl = validTtl(ttlMs);
    return this.write("setIfAbsent", () => {
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
    return this.write("batch", () => this.applyBatch(ops, encoded));
  }

  async renewLease(owner: string, leaseMs: number): Promise<void> {
    const ms = durationMs(leaseMs, "leaseMs");
    await this.write("renewLease", () => this.statements.renewLease.run(owner, this.now() + ms));
  }

  async releaseLease(owner: string): Promise<void> {
    await this.write("releaseLease", () => this.statements.releaseLease.run(owner));
  }

  async claim<T>(queue: string, owner: string, options: ClaimOptions = {}): Promise<QueueItem<T>[]> {
    const limit = options.limit ?? -1;
    // One statement: the claimable items change owner together, or none does.
    const rows = await this.write("claim", () =>
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

  async takeSlot(
    key: string,
    spanMs: number,
    limit: number,
    member: string,
    ticket?: SlotTicket,
  ): Promise<SlotResult> {
    // Not grouped: a budget takes its slots one after another, and each waiting for the next group
    // would hold every call behind it back by a turn of the event loop.
    return this.run("takeSlot", () => this.slots.take.immediate(key, spanMs, limit, member, ticket));
  }

  async leaveLine(key: string, id: string): Promise<void> {
    await this.write("leaveLine", () => this.statements.dropTicket.run({ key, ticket: id }));
  }

  async finishSlot(key: string, _spanMs: number, member: string): Promise<void> {
    await this.write("finishSlot", () => this.slots.finish(key, member));
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

  /** Commits the writes already asked for, then closes the file. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.sweeper);
      await this.writes.drained();
      this.closed = true;
      this.db.close();
    })();
    return this.closing;
  }

  /** Deletes expired keys and leases; reads already ignore them. */
  async sweep(): Promise<{ keys: number; leases: number }> {
    return this.write("sweep", () => {
      const now = this.now();
      return {
        keys: this.statements.sweepKeys.run(now).changes,
        leases: this.statements.sweepLeases.run(now).changes,
      };
    });
  }

  /** Checks every claim, then applies every op; runs inside its own savepoint of a write group. */
  private applyBatch(ops: WriteOp[], encoded: string[]): BatchResult {
    const s = this.statements;
    const now = this.now();
    for (const op of ops)
      if (op.op === "claim" && s.exists.get(op.key, now)) return { applied: false, appended: [], taken: [] };
    const appended: AppendedItem[] = [];
    const taken: QueueItem[] = [];
    // Consecutive acks of one queue (a merged batch's messages) are deleted by one statement.
    let acks: { queue: string; seqs: number[] } | undefined;
    const deleteAcked = () => {
      if (acks) s.ack.run(acks.queue, JSON.stringify(acks.seqs));
      acks = undefined;
    };
    ops.forEach((op, i) => {
      const data = encoded[i]!;
      if (op.op === "ack") {
        if (acks?.queue !== op.queue) deleteAcked();
        acks ??= { queue: op.queue, seqs: [] };
        acks.seqs.push(itemSeq(op.id));
        return;
      }
      deleteAcked();
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
      }
    });
    deleteAcked();
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

  /** Runs a write in the next group commit; a failure of its own names it. */
  private async write<T>(what: string, step: () => T): Promise<T> {
    try {
      return await this.writes.add(step);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError("STORE_FAILED", `SQLite store ${what} failed: ${messageOf(err)}`, { cause: err });
    }
  }

  /**
   * Runs one synchronous step, retrying it after a short pause while another connection holds the
   * write lock, until the op timeout; maps driver errors to StoreError.
   */
  private async run<T>(what: string, step: () => T): Promise<T> {
    const deadline = Date.now() + this.opTimeoutMs;
    let pause = 1;
    let closed: StoreError | undefined;
    try {
      return await retry(
        async () => {
          if (this.closed)
            closed = new StoreError("STORE_UNAVAILABLE", `SQLite store ${what}: the store was closed`);
          if (closed) throw closed;
          return step();
        },
        {
          delayMs: (err) => {
            if (err === closed || !isBusy(err) || Date.now() + pause > deadline) return undefined;
            const wait = pause * (0.5 + Math.random());
            pause = Math.min(pause * 2, 25);
            return wait;
          },
        },
      );
    } catch (err) {
      if (err === closed) throw err;
      if (!isBusy(err)) {
        throw new StoreError("STORE_FAILED", `SQLite store ${what} failed: ${messageOf(err)}`, {
          cause: err,
        });
      }
      throw new StoreError(
        "STORE_BUSY",
        `SQLite store ${what}: another process held the database lock for over ${this.opTimeoutMs} ms`,
        { cause: err },
      );
    }
  }

  private lockStatements?: ReturnType<typeof prepareLocks>;

  async holdLock(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const ms = durationMs(ttlMs, "ttlMs");
    return this.write("holdLock", () => {
      const now = this.now();
      return this.locks().hold.run({ name, owner, until: now + ms, now }).changes === 1;
    });
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    await this.write("releaseLock", () => this.locks().release.run(name, owner));
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
