// The schema of the sqlite:// store and its prepared statements: key-value rows with expiry, queue
// items in acceptance order (each with its group and holder), process leases, rate-limit slots and
// their waiting lines, and named locks. The store (sqlite-store.ts) runs them inside its transactions.
import type Database from "better-sqlite3";
import { DEFAULTS } from "../defaults.js";
import { slotWait } from "./slot-wait.js";
import type { SlotResult, SlotTicket } from "./types.js";

export const SCHEMA = `
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
  CREATE TABLE IF NOT EXISTS slot_line (
    key TEXT NOT NULL,
    ticket TEXT NOT NULL,
    since INTEGER NOT NULL,
    until INTEGER NOT NULL,
    PRIMARY KEY (key, ticket)
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

export type Row = { seq: number; grp: string; payload: string };
/** An item of a group, with whether its owner's lease lives. */
export type Member = { seq: number; owner: string | null; live: 0 | 1; payload: string };

/** The store's statements by name, each prepared once per connection. */
const STATEMENTS = {
  get: "SELECT value FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)",
  exists: "SELECT 1 FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)",
  set: `INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
  setIfAbsent: `INSERT INTO kv (key, value, expires_at) VALUES (@key, @json, @expiresAt)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
       WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= @now`,
  delete: "DELETE FROM kv WHERE key = ? RETURNING expires_at",
  append: "INSERT INTO queue_items (queue, grp, payload, owner) VALUES (?, ?, ?, ?)",
  update: "UPDATE queue_items SET payload = ? WHERE queue = ? AND seq = ?",
  /** The items whose seqs the JSON array names: a merged batch's messages in one statement. */
  ack: "DELETE FROM queue_items WHERE queue = ? AND seq IN (SELECT value FROM json_each(?))",
  groupItems: `SELECT i.seq, i.owner, i.payload, (l.owner IS NOT NULL) AS live FROM queue_items i
       LEFT JOIN leases l ON l.owner = i.owner AND l.until > ?
       WHERE i.queue = ? AND i.grp = ? ORDER BY i.seq`,
  setOwner: "UPDATE queue_items SET owner = ? WHERE seq = ?",
  claim: `UPDATE queue_items SET owner = @owner WHERE seq IN (SELECT seq FROM (${CLAIMABLE}))
       RETURNING seq, grp, payload`,
  queueSize: "SELECT COUNT(*) AS n FROM queue_items WHERE queue = ?",
  renewLease:
    "INSERT INTO leases (owner, until) VALUES (?, ?) ON CONFLICT (owner) DO UPDATE SET until = excluded.until",
  releaseLease: "DELETE FROM leases WHERE owner = ?",
  sweepKeys: "DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?",
  sweepLeases: "DELETE FROM leases WHERE until <= ?",
  liveLeases: "SELECT owner FROM leases WHERE until > ?",
  pruneSlots: "DELETE FROM slots WHERE key = ? AND at <= ?",
  putSlot: "INSERT OR REPLACE INTO slots (key, member, at) VALUES (?, ?, ?)",
  pruneFlying: "DELETE FROM slots_flying WHERE key = ? AND at <= ?",
  countFlying: "SELECT COUNT(*) AS n FROM slots_flying WHERE key = ?",
  putFlying: "INSERT OR REPLACE INTO slots_flying (key, member, at) VALUES (?, ?, ?)",
  landFlying: "DELETE FROM slots_flying WHERE key = ? AND member = ?",
  flyingTimes: "SELECT at FROM slots_flying WHERE key = ? AND at > ?",
  moveSlot: "UPDATE slots SET at = ? WHERE key = ? AND member = ?",
  slotTimes: "SELECT at FROM slots WHERE key = ? AND at > ? ORDER BY at",
  countSlots: "SELECT COUNT(*) AS n FROM slots WHERE key = ? AND at > ?",
  nthSlot: "SELECT at FROM slots WHERE key = ? AND at > ? ORDER BY at LIMIT 1 OFFSET ?",
  pruneLine: "DELETE FROM slot_line WHERE key = ? AND until <= ?",
  lineAhead: `SELECT COUNT(*) AS n FROM slot_line WHERE key = @key AND ticket <> @ticket
       AND (since < @since OR (since = @since AND ticket < @ticket))`,
  putTicket: "INSERT OR REPLACE INTO slot_line (key, ticket, since, until) VALUES (?, ?, ?, ?)",
  /** A process's ticket and the calls it said wait behind it (`<ticket>#1` …; '$' follows '#'). */
  dropTicket: `DELETE FROM slot_line WHERE key = @key
       AND (ticket = @ticket OR (ticket > @ticket || '#' AND ticket < @ticket || '$'))`,
  ping: "SELECT 1",
};

export type Statements = Record<keyof typeof STATEMENTS, Database.Statement>;

export function prepare(db: Database.Database): Statements {
  const prepared: Partial<Statements> = {};
  for (const [name, sql] of Object.entries(STATEMENTS)) prepared[name as keyof Statements] = db.prepare(sql);
  return prepared as Statements;
}

// One row per named lock; a row whose `until` has passed is free for anyone to take.
export function prepareLocks(
  db: Database.Database,
): Record<"hold" | "release" | "holder", Database.Statement> {
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

/**
 * The rate-limit slot transactions: take a slot (it flies until finished) when fewer than `limit`
 * count in the span and fewer older tickets wait in the line than slots are free, else say how
 * long to wait; finish one (it then counts from now).
 */
export function prepareSlots(
  db: Database.Database,
  s: Statements,
  now: () => number,
): {
  take: Database.Transaction<
    (key: string, spanMs: number, limit: number, member: string, ticket?: SlotTicket) => SlotResult
  >;
  finish: Database.Transaction<(key: string, member: string) => void>;
} {
  return {
    take: db.transaction(
      (key: string, spanMs: number, limit: number, member: string, ticket?: SlotTicket): SlotResult => {
        const at = now();
        s.pruneSlots.run(key, at - spanMs);
        s.pruneFlying.run(key, at - DEFAULTS.budgetSlotMaxFlightMs);
        // Counted, not read: a window of a generous budget holds thousands of slots.
        const { n: done } = s.countSlots.get(key, at - spanMs) as { n: number };
        const { n: flying } = s.countFlying.get(key) as { n: number };
        const count = done + flying;
        /** How long until the slot at place `over` (oldest first) of the finished ones leaves. */
        const waitFor = (over: number): number =>
          slotWait((s.nthSlot.get(key, at - spanMs, over) as { at: number } | undefined)?.at, spanMs, at);
        let waitMs = count < limit ? 0 : waitFor(count - limit);
        if (ticket) {
          s.pruneLine.run(key, at);
          s.dropTicket.run({ key, ticket: ticket.id });
          const { n: ahead } = s.lineAhead.get({ key, ticket: ticket.id, since: ticket.since }) as {
            n: number;
          };
          if (waitMs === 0 && ahead >= limit - count)
            waitMs = Math.min(waitFor(count + ahead - limit), DEFAULTS.budgetLineGraceMs);
          const until = at + waitMs + DEFAULTS.budgetLineGraceMs;
          if (waitMs > 0) s.putTicket.run(key, ticket.id, ticket.since, until);
          for (const [i, since] of (ticket.behind ?? []).entries())
            s.putTicket.run(key, `${ticket.id}#${i + 1}`, since, until);
        }
        if (waitMs > 0) return { taken: false, waitMs };
        s.putFlying.run(key, member, at);
        return { taken: true, left: limit - count - 1 };
      },
    ),
    finish: db.transaction((key: string, member: string) => {
      const at = now();
      if (s.landFlying.run(key, member).changes > 0) s.putSlot.run(key, member, at);
      else s.moveSlot.run(at, key, member);
    }),
  };
}
