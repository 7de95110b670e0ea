// Lets code written for Keyv (sessions) keep its keys in a Store, under an explicit prefix. Errors
// propagate: use it with `new Keyv({ store: new StoreKeyvAdapter(store, "sessions"), throwOnErrors: true })`.
import { EventEmitter } from "node:events";
import { StoreError } from "../errors.js";
import type { Store } from "./types.js";

export class StoreKeyvAdapter extends EventEmitter {
  /** Keyv sets this to its own namespace; keys are already kept apart by `prefix`. */
  namespace: string | undefined;
  readonly opts: { prefix: string };

  constructor(
    private readonly store: Store,
    readonly prefix: string,
  ) {
    super();
    this.opts = { prefix };
  }

  async get<Value>(key: string): Promise<Value | undefined> {
    return this.store.get<Value>(this.key(key));
  }

  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    await this.store.set(this.key(key), value, ttl);
    return true;
  }

  async delete(key: string): Promise<boolean> {
    return this.store.delete(this.key(key));
  }

  /** The store layer lists no keys, so a whole namespace cannot be dropped at once. */
  async clear(): Promise<void> {
    throw new StoreError("STORE_FAILED", `clearing every "${this.prefix}" key is not supported by the store`);
  }

  private key(key: string): string {
    return `${this.prefix}:${key}`;
  }
}
