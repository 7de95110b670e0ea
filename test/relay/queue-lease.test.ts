import { describe, expect, it } from "vitest";
import { QueueLease } from "../../src/relay/queue-lease.js";
import { createStore } from "../../src/store/create-store.js";

describe("the backlog lease", () => {
  it("goes to a waiting process as soon as the holder releases it", async () => {
    const store = await createStore("memory://");
    const first = new QueueLease(store, { ttlMs: 60_000 });
    const second = new QueueLease(store, { ttlMs: 60_000 });
    await first.acquire(new AbortController().signal);
    let secondHolds = false;
    const waiting = second.acquire(new AbortController().signal).then(() => {
      secondHolds = true;
    });
    await first.release();
    await waiting;
    expect(secondHolds).toBe(true);
    await second.release();
  });

  it("is taken over from a process that crashed and stopped renewing it", async () => {
    const store = await createStore("memory://");
    await store.namespace("queue-lease").set("backlog", { owner: "crashed-process", until: Date.now() - 1 });
    const survivor = new QueueLease(store, { ttlMs: 60_000 });
    await survivor.acquire(new AbortController().signal);
    expect(await store.namespace<{ owner: string }>("queue-lease").get("backlog")).toMatchObject({
      owner: survivor.owner,
    });
    await survivor.release();
  });

  it("is not taken from a live holder: a waiter gives up when told to", async () => {
    const store = await createStore("memory://");
    const holder = new QueueLease(store, { ttlMs: 60_000 });
    await holder.acquire(new AbortController().signal);
    const stop = new AbortController();
    const waiting = new QueueLease(store, { ttlMs: 60_000 }).acquire(stop.signal);
    stop.abort(new Error("shutting down"));
    await expect(waiting).rejects.toThrow("shutting down");
    expect(await store.namespace<{ owner: string }>("queue-lease").get("backlog")).toMatchObject({
      owner: holder.owner,
    });
    await holder.release();
  });
});
