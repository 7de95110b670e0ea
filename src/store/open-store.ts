// Opens the store named by STORE_URL. Each driver is imported only when its kind is asked for, so a
// failed native build of better-sqlite3 cannot break a memory:// or redis:// run.
import type { Logger } from "pino";
import { DEFAULTS } from "../defaults.js";
import { MemoryStore } from "./memory-store.js";
import { parseStoreUrl, storeUrlError } from "./store-url.js";
import type { Store } from "./types.js";

export interface OpenStoreOptions {
  /** Longest one store call may take; then it fails with STORE_TIMEOUT (or STORE_BUSY for SQLite). */
  opTimeoutMs?: number;
  /** The clock for TTLs and leases (memory and SQLite; Redis keeps its own time). */
  now?: () => number;
  logger?: Logger;
}

export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const { kind, location } = parseStoreUrl(url);
  const { now, logger } = options;
  const opTimeoutMs = options.opTimeoutMs ?? DEFAULTS.storeOpTimeoutMs;
  if (kind === "memory") return new MemoryStore(now ? { now } : {});
  if (kind === "sqlite") {
    const driver = await loadSqlite(url);
    return driver.openSqliteStore(location, {
      opTimeoutMs,
      ...(now ? { now } : {}),
      ...(logger ? { logger } : {}),
    });
  }
  const { openRedisStore } = await import("./redis-store.js");
  return openRedisStore(location, { opTimeoutMs, ...(logger ? { logger } : {}) });
}

async function loadSqlite(url: string): Promise<typeof import("./sqlite-store.js")> {
  try {
    const driver = await import("./sqlite-store.js");
    driver.loadSqliteDriver();
    return driver;
  } catch (err) {
    const reason = err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err);
    throw storeUrlError(
      url,
      "use memory:// or redis://HOST:PORT, or reinstall the SQLite driver (npm rebuild better-sqlite3)",
      `the SQLite driver could not be loaded: ${reason}`,
    );
  }
}
