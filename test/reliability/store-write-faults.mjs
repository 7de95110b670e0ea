// Loaded into the bridge process with `node --import` by the fault suite: makes a share of the
// bridge's SQLite writes fail the way a full or failing disk makes them fail (SQLITE_IOERR), without
// the bridge knowing. MYGPT_FAULT_STORE_WRITES is the probability (0..1) per write statement;
// MYGPT_FAULT_SEED makes the failures replayable. Reads never fail. Patches both SQLite drivers the
// project has used (better-sqlite3, and sqlite3 under @keyv/sqlite), before the bridge opens its store.
import { createRequire } from "node:module";

const probability = Number(process.env.MYGPT_FAULT_STORE_WRITES ?? "0");
const require = createRequire(import.meta.url);
const WRITE = /^\s*(INSERT|UPDATE|DELETE|REPLACE|UPSERT)\b/i;

let state = Number(process.env.MYGPT_FAULT_SEED ?? "1") >>> 0 || 1;
/** mulberry32: the same seed gives the same failures. */
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

let injected = 0;
function shouldFail(sql) {
  if (!(probability > 0) || typeof sql !== "string" || !WRITE.test(sql)) return false;
  if (random() >= probability) return false;
  injected += 1;
  return true;
}

process.on("exit", () => {
  process.stderr.write(`store-write-faults: injected ${injected} write failures\n`);
});

function tryRequire(name) {
  try {
    return require(name);
  } catch {
    return undefined;
  }
}

const BetterSqlite = tryRequire("better-sqlite3");
if (BetterSqlite) {
  const ioError = () => {
    const error = new BetterSqlite.SqliteError(
      "disk I/O error (injected by the fault suite)",
      "SQLITE_IOERR",
    );
    return error;
  };
  const prepare = BetterSqlite.prototype.prepare;
  BetterSqlite.prototype.prepare = function patchedPrepare(sql, ...rest) {
    const statement = prepare.call(this, sql, ...rest);
    if (typeof sql === "string" && WRITE.test(sql)) {
      // run() for plain writes; get()/all() for writes with RETURNING.
      for (const method of ["run", "get", "all"]) {
        const original = statement[method];
        statement[method] = function patched(...args) {
          if (shouldFail(sql)) throw ioError();
          return original.apply(this, args);
        };
      }
    }
    return statement;
  };
  const exec = BetterSqlite.prototype.exec;
  BetterSqlite.prototype.exec = function patchedExec(sql) {
    if (shouldFail(sql)) throw ioError();
    return exec.call(this, sql);
  };
}

const sqlite3 = tryRequire("sqlite3");
if (sqlite3) {
  for (const method of ["all", "run", "exec"]) {
    const original = sqlite3.Database.prototype[method];
    sqlite3.Database.prototype[method] = function patched(sql, ...args) {
      if (shouldFail(sql)) {
        const callback = args.findLast((a) => typeof a === "function");
        const error = Object.assign(new Error("SQLITE_IOERR: disk I/O error (injected by the fault suite)"), {
          errno: 10,
          code: "SQLITE_IOERR",
        });
        if (callback) process.nextTick(() => callback.call(this, error));
        return this;
      }
      return original.call(this, sql, ...args);
    };
  }
}
