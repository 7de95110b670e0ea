// Opens the store named by STORE_URL. Each driver is imported only when its kind is asked for, so a
// failed native build of better-sqlite3 cannot break a memory:// or redis:// run.
import type { Logger } from "pino";
import { MemoryStore } from "./memory-store.js";
import { parseStoreUrl, storeUrlError } from "./store-url.js";
import type { Store } from "./types.js";

export interface OpenStoreOptions {
  /** Longest one store call may take; then it fails with STORE_TIMEOUT. */
  opTimeoutMs?: number;
  /** The clock for TTLs and leases (memory and SQLite; Redis keeps its own time). */
  now?: () => number;
  logger?: Logger;
}

export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const { kind, location } = parseStoreUrl(url);
  if (kind === "memory") return new MemoryStore(options.now ? { now: options.now } : {});
  throw storeUrlError(url, "only memory:// is implemented in the new store layer so far");
}
