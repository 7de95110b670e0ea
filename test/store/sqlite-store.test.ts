// What only the SQLite store has to show: a private file, expired rows really deleted, and a write
// lock held by another process failing writes in time (STORE_BUSY) without blocking reads or the loop.
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { StoreError } from "../../src/errors.js";
import { openStore } from "../../src/store/open-store.js";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/types.js";

const dir = mkdtempSync(join(tmpdir(), "store-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshFile = () => join(dir, `db-${++n}.sqlite`);

const opened: Array<Store | Database.Database> = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const s of opened.splice(0)) {
    if (s instanceof Database) s.close();
    else await s.close();
  }
});
function track<T extends Store | Database.Database>(s: T): T {
  opened.push(s);
  return s;
}
function rawCount(file: string, table: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}
const mode = (file: string) => statSync(file).mode & 0o777;
function rawPragma(file: string, name: string): unknown {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma(name, { simple: true });
  } finally {
    db.close();
  }
}
/** A trigger (added from another connection) that makes SQLite refuse writing the key "poison". */
function poison(file: string, raise: string): void {
  const db = new Database(file);
  try {
    db.exec(`CREATE TRIGGER poison BEFORE INSERT ON kv WHEN NEW.key = 'poison' BEGIN SELECT ${raise}; END`);
  } finally {
    db.close();
  }
}

describe("sqlite store", () => {
  it("keeps its file and WAL private to the bridge's user", async () => {
    const file = freshFile();
    const store = track(await openStore(`sqlite://${file}`));
    await store.set("k", "secret session");
    expect(mode(file)).toBe(0o600);
    expect(mode(`${file}-wal`)).toBe(0o600);
    expect(mode(`${file}-shm`)).toBe(0o600);
  });

  it("makes a world-readable file left by an older version private", async () => {
    const file = freshFile();
    writeFileSync(file, "");
    chmodSync(file, 0o644);
    track(await openStore(`sqlite://${file}`));
    expect(mode(file)).toBe(0o600);
  });

  it("keeps what was written across a reopen", async () => {
    const file = freshFile();
    const first = await openStore(`sqlite://${file}`);
    await first.set("session", { id: "s1" });
    await first.batch([{ op: "append", queue: "q", group: "g", payload: "m", owner: "A" }]);
    await first.close();
    const second = track(await openStore(`sqlite://${file}`));
    expect(await second.get("session")).toEqual({ id: "s1" });
    expect(await second.queueSize("q")).toBe(1);
  });

  it("deletes expired keys and leases from the file at open and on its sweep timer", async () => {
    const file = freshFile();
    let now = 1_000_000;
    const clock = () => now;
    const first = await openSqliteStore(file, { now: clock });
    await first.set("short", 1, 1000);
    await first.set("kept", 2);
    await first.renewLease("A", 1000);
    await first.close();
    expect(rawCount(file, "kv")).toBe(2);
    now += 1001;
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const store = track(await openSqliteStore(file, { now: clock, sweepIntervalMs: 60_000 }));
    expect(rawCount(file, "kv")).toBe(1);
    expect(rawCount(file, "leases")).toBe(0);

    await store.set("later", 3, 5000);
    await store.renewLease("B", 5000);
    now += 5001;
    expect(rawCount(file, "kv")).toBe(2);
    await vi.advanceTimersByTimeAsync(60_000);
    await vi.waitUntil(() => rawCount(file, "kv") === 1);
    expect(rawCount(file, "leases")).toBe(0);
    expect(await store.get("kept")).toBe(2);
  });

  describe("writes asked for together (group commit)", () => {
    const walFrames = (file: string) => {
      const pageSize = (rawPragma(file, "page_size") as number) + 24;
      return Math.floor(Math.max(0, statSync(`${file}-wal`).size - 32) / pageSize);
    };

    it("commits twenty writes made at once together, not one WAL commit each", async () => {
      const file = freshFile();
      const store = track(await openStore(`sqlite://${file}`));
      await store.set("warm", 0);
      const before = walFrames(file);
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`k${i}`, i)));
      expect(walFrames(file) - before).toBeLessThanOrEqual(2);
      expect(rawCount(file, "kv")).toBe(21);
    });

    it("a write SQLite refuses fails alone; the writes committed with it stand", async () => {
      const file = freshFile();
      const store = track(await openStore(`sqlite://${file}`));
      poison(file, "RAISE(ABORT, 'refused by a test trigger')");
      const [a, refused, b] = await Promise.allSettled([
        store.set("a", 1),
        store.set("poison", 2),
        store.batch([{ op: "append", queue: "q", group: "g", payload: "m", owner: "A" }]),
      ]);
      expect(a.status).toBe("fulfilled");
      expect(b.status).toBe("fulfilled");
      expect(refused).toMatchObject({ status: "rejected", reason: { code: "STORE_FAILED" } });
      expect(String((refused as PromiseRejectedResult).reason.message)).toContain("SQLite store set failed");
      expect(rawCount(file, "kv")).toBe(1);
      expect(rawCount(file, "queue_items")).toBe(1);
    });

    it("when SQLite undoes the whole transaction, every write in it fails and none is half-kept", async () => {
      const file = freshFile();
      const store = track(await openStore(`sqlite://${file}`));
      poison(file, "RAISE(ROLLBACK, 'whole transaction undone by a test trigger')");
      const outcomes = await Promise.allSettled([
        store.set("a", 1),
        store.set("poison", 2),
        store.set("b", 3),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected", "rejected"]);
      expect(rawCount(file, "kv")).toBe(0);
      expect(await store.get("a")).toBeUndefined();
    });

    it("close() commits the writes already asked for", async () => {
      const file = freshFile();
      const store = await openStore(`sqlite://${file}`);
      const written = store.set("last words", "kept");
      await store.close();
      await written;
      expect(rawCount(file, "kv")).toBe(1);
    });
  });

  it("acknowledges a merged batch's messages with one statement, not one per message", async () => {
    // Each statement is a chance for a failing disk to refuse the write: a merged reply's record
    // that needs ten is ten times as likely to be retried, keeping a crash's repost window open.
    const queueDeletes: number[] = [];
    const prepare = Database.prototype.prepare;
    vi.spyOn(Database.prototype, "prepare").mockImplementation(function (
      this: Database.Database,
      sql: string,
    ) {
      const statement = prepare.call(this, sql);
      if (/^DELETE FROM queue_items/.test(sql)) {
        const run = statement.run.bind(statement) as (...args: unknown[]) => Database.RunResult;
        statement.run = (...args: unknown[]) => {
          queueDeletes.push(1);
          return run(...args);
        };
      }
      return statement;
    });
    const store = track(await openSqliteStore(freshFile()));
    vi.restoreAllMocks();
    const { appended } = await store.batch(
      Array.from({ length: 10 }, (_, i) => ({
        op: "append" as const,
        queue: "inbound",
        group: "chat",
        payload: `m${i}`,
        owner: "A",
      })),
    );
    await store.batch([
      { op: "set", key: "reply", value: "answered" },
      ...appended.map((item) => ({ op: "ack" as const, queue: "inbound", id: item.id })),
    ]);
    expect(await store.queueSize("inbound")).toBe(0);
    expect(queueDeletes).toHaveLength(1);
  });

  describe("while another process holds the write lock", () => {
    async function lockedStore(opTimeoutMs: number) {
      const file = freshFile();
      const store = track(await openStore(`sqlite://${file}`, { opTimeoutMs }));
      await store.set("before", "committed");
      const other = track(new Database(file, { timeout: 0 }));
      other.exec("BEGIN IMMEDIATE");
      other.prepare("INSERT INTO kv (key, value) VALUES ('uncommitted', '1')").run();
      return { store, other };
    }

    it("fails a write with STORE_BUSY after the op timeout, and reads still answer", async () => {
      const { store } = await lockedStore(300);
      const started = Date.now();
      const write = store.set("k", 1).catch((e: unknown) => e);
      // The event loop is free while the write waits: a timer set after it still fires first.
      const first = await Promise.race([
        write.then(() => "write"),
        new Promise((r) => setTimeout(r, 20, "timer")),
      ]);
      expect(first).toBe("timer");
      expect(await store.get("before")).toBe("committed");
      expect(await store.get("uncommitted")).toBeUndefined();
      const error = await write;
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe("STORE_BUSY");
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(await store.batch([{ op: "claim", key: "c" }]).catch((e: StoreError) => e.code)).toBe(
        "STORE_BUSY",
      );
    });

    it("completes a waiting write once the lock is released", async () => {
      const { store, other } = await lockedStore(5000);
      const write = store.batch([
        { op: "claim", key: "event-1" },
        { op: "append", queue: "q", group: "g", payload: "m", owner: "A" },
      ]);
      expect(await store.queueSize("q")).toBe(0);
      other.exec("COMMIT");
      expect((await write).applied).toBe(true);
      expect(await store.get("uncommitted")).toBe(1);
      expect(await store.queueSize("q")).toBe(1);
    });
  });

  it("reports a broken database file as STORE_FAILED", async () => {
    const file = freshFile();
    const store = track((await openStore(`sqlite://${file}`)) as SqliteStore);
    const other = track(new Database(file));
    other.exec("DROP TABLE kv");
    const error = await store.get("k").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("STORE_FAILED");
  });
});
