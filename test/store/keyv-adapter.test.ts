// Code that speaks Keyv (sessions) over the store layer: values round-trip under the adapter's prefix,
// and a store that fails makes Keyv's calls throw instead of answering "nothing there".
import Keyv from "keyv";
import { afterEach, describe, expect, it } from "vitest";
import { StoreError } from "../../src/errors.js";
import { openStore, StoreKeyvAdapter } from "../../src/store/index.js";
import { keyvSetOp, storeKeyv } from "../../src/store/keyv-adapter.js";
import type { Store } from "../../src/store/types.js";

const opened: Store[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});
async function memory(now?: () => number): Promise<Store> {
  const store = await openStore("memory://", now ? { now } : {});
  opened.push(store);
  return store;
}

describe("Keyv over the store layer", () => {
  it("keeps sessions under its prefix, apart from another prefix's keys", async () => {
    const store = await memory();
    const sessions = new Keyv({ store: new StoreKeyvAdapter(store, "sessions"), throwOnErrors: true });
    const other = new Keyv({ store: new StoreKeyvAdapter(store, "contacts"), throwOnErrors: true });
    await sessions.set("thread-1", { sessionId: "s1", turns: 2 });
    expect(await sessions.get("thread-1")).toEqual({ sessionId: "s1", turns: 2 });
    expect(await other.get("thread-1")).toBeUndefined();
    expect(await store.get("sessions:keyv:thread-1")).toBeDefined();
    expect(await sessions.delete("thread-1")).toBe(true);
    expect(await sessions.get("thread-1")).toBeUndefined();
  });

  it("forgets a session once its time to live has passed", async () => {
    let now = 1_000;
    const store = await memory(() => now);
    const sessions = new Keyv({ store: new StoreKeyvAdapter(store, "sessions"), throwOnErrors: true });
    await sessions.set("thread-1", "s1", 60_000);
    now += 60_001;
    expect(await store.get("sessions:keyv:thread-1")).toBeUndefined();
    expect(await sessions.get("thread-1")).toBeUndefined();
  });

  it("throws the store's error from get, set and delete when the store fails", async () => {
    const store = await memory();
    const sessions = new Keyv({ store: new StoreKeyvAdapter(store, "sessions"), throwOnErrors: true });
    sessions.on("error", () => {});
    await store.close();
    for (const call of [() => sessions.get("k"), () => sessions.set("k", 1), () => sessions.delete("k")]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe("STORE_UNAVAILABLE");
    }
  });

  it("a session written in one batch with other writes reads back through Keyv, and expires on time", async () => {
    let now = 1_000;
    const store = await memory(() => now);
    const sessions = storeKeyv<{ sessionId: string }>(store, "session");
    await store.batch([
      { op: "set", key: "other", value: 1 },
      keyvSetOp("session", "thread-1", { sessionId: "s1" }, 60_000, Date.now()),
    ]);
    expect(await sessions.get("thread-1")).toEqual({ sessionId: "s1" });
    expect(await store.get("other")).toBe(1);
    now += 60_001;
    expect(await sessions.get("thread-1")).toBeUndefined();
  });
});
