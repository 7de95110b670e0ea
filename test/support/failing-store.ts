// A real memory store behind a wrapper that fails chosen calls on cue, as a dropped connection or a
// disk error would: for relay tests of what a passing store failure must not cost (a conversation,
// a start-up). Everything not failed goes to the real store. It also counts the calls made, so a
// test can tell how many store round trips a message costs.
import { StoreError } from "../../src/errors.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import type { Store } from "../../src/store/types.js";

export interface FailingStore {
  store: Store;
  /** The next `count` calls of `method` (whose first argument starts with `prefix`, if given) fail. */
  failNext(method: keyof Store, count: number, prefix?: string): void;
  /** Calls made so far (failed ones too), per method and first argument. */
  readonly calls: Array<{ method: string; first: unknown }>;
}

export function failingStore(): FailingStore {
  const inner = new MemoryStore();
  const failing = new Map<string, { left: number; prefix?: string }>();
  const calls: FailingStore["calls"] = [];
  const store = new Proxy(inner, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push({ method: String(prop), first: args[0] });
        const rule = failing.get(String(prop));
        const matches = rule && (rule.prefix === undefined || String(args[0]).startsWith(rule.prefix));
        if (rule && matches && rule.left > 0) {
          rule.left--;
          return Promise.reject(new StoreError("STORE_UNAVAILABLE", "the store cannot be reached"));
        }
        return value.apply(target, args);
      };
    },
  });
  return {
    store,
    calls,
    failNext: (method, count, prefix) => failing.set(method, { left: count, ...(prefix && { prefix }) }),
  };
}
