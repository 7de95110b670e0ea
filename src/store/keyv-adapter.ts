// Keyv over the store layer: code that wants Keyv's key-value surface (sessions, Slack
// installations) gets it on whichever store is configured, under a prefix of its own that does not
// depend on what else was opened, and with store failures thrown to the caller instead of reading
// as "not found" (Keyv's default).
import { EventEmitter } from "node:events";
import Keyv, { type KeyvStoreAdapter, type StoredData } from "keyv";
import { StoreError } from "../errors.js";
import type { Store, WriteOp } from "./types.js";

export class StoreKeyvAdapter extends EventEmitter implements KeyvStoreAdapter {
  readonly opts = {};
  namespace?: string;

  constructor(
    private readonly store: Store,
    private readonly prefix: string,
  ) {
    super();
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    return this.store.get<StoredData<Value>>(this.key(key));
  }

  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    await this.store.set(this.key(key), value, ttl);
    return true;
  }

  delete(key: string): Promise<boolean> {
    return this.store.delete(this.key(key));
  }

  /** The store layer lists no keys, so a whole prefix cannot be dropped at once. */
  async clear(): Promise<void> {
    throw new StoreError("STORE_FAILED", `clearing every "${this.prefix}" key is not supported by the store`);
  }

  private key(key: string): string {
    return `${this.prefix}:${key}`;
  }
}

/** A Keyv whose keys live under `prefix` in the store; values are stored as JSON once, not twice. */
export function storeKeyv<T>(store: Store, prefix: string): Keyv<T> {
  return new Keyv<T>({
    store: new StoreKeyvAdapter(store, prefix),
    throwOnErrors: true,
    useKeyPrefix: false,
    serialize: undefined,
    deserialize: undefined,
  });
}

/**
 * The write `storeKeyv(store, prefix).set(key, value, ttlMs)` makes, as an op for a store batch (so a
 * Keyv record can change in the same transaction as other writes); Keyv reads it back as usual.
 */
export function keyvSetOp(prefix: string, key: string, value: unknown, ttlMs: number, now: number): WriteOp {
  const entry: StoredData<unknown> = { value, expires: now + ttlMs };
  return { op: "set", key: `${prefix}:${key}`, value: entry, ttlMs };
}
