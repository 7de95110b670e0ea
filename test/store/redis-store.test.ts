// What only the Redis store has to show: fixed key prefix whatever else is open, calls that fail fast
// and within the op timeout while Redis is down or frozen, and recovery without reopening the store.
import { Writable } from "node:stream";
import { createClient } from "@redis/client";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { StoreError } from "../../src/errors.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/types.js";
import { freePort, skipWithoutRedis } from "../support/redis.js";
import { type RedisProcess, startRedisOn } from "./redis-process.js";

let port: number;
let server: RedisProcess;
const url = () => `redis://127.0.0.1:${port}`;
const skip = skipWithoutRedis();
beforeAll(async () => {
  if (skip) return;
  port = await freePort();
  server = await startRedisOn(port);
});
afterAll(() => server?.stop());

const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close().catch(() => {});
});
async function open(options: Parameters<typeof openStore>[1] = {}): Promise<Store> {
  const store = await openStore(url(), options);
  opened.push(store);
  return store;
}

async function failure(call: Promise<unknown>): Promise<{ code: string | undefined; ms: number }> {
  const started = Date.now();
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  return { code: (error as StoreError).code, ms: Date.now() - started };
}

/** Polls until the store answers again (bounded); state polling, not a sleep. */
async function answersAgain(store: Store): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await store.ping();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

async function allKeys(): Promise<string[]> {
  const client = createClient({ url: url() });
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ COUNT: 1000 })) keys.push(...batch);
    return keys;
  } finally {
    await client.close();
  }
}

describe.skipIf(skip)("redis store", () => {
  it("keeps every key under mygpt: whatever else was opened first", async () => {
    const before = new Set(await allKeys());
    const first = await open();
    const second = await open();
    await second.set("session:1", { id: "s" }, 60_000);
    await first.setIfAbsent("dedup:1", true);
    await second.renewLease("proc-1", 60_000);
    await first.batch([{ op: "append", queue: "inbound", group: "g", payload: "m", owner: "proc-1" }]);
    expect(await first.get("session:1")).toEqual({ id: "s" });
    const ours = (await allKeys()).filter((k) => !before.has(k));
    expect(ours.length).toBeGreaterThanOrEqual(6);
    for (const key of ours) expect(key.startsWith("mygpt:")).toBe(true);
    expect(ours).toEqual(
      expect.arrayContaining(["mygpt:kv:session:1", "mygpt:kv:dedup:1", "mygpt:lease:proc-1"]),
    );
  });

  it("fails to open with STORE_UNAVAILABLE, credentials hidden, when nothing listens", async () => {
    const deadPort = await freePort();
    const error = await openStore(`redis://bridge:hunter2@127.0.0.1:${deadPort}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("STORE_UNAVAILABLE");
    expect((error as Error).message).toContain(`127.0.0.1:${deadPort}`);
    expect((error as Error).message).not.toContain("hunter2");
  });

  it("fails calls fast while Redis is down and works again once it is back, without reopening", async () => {
    const lines: string[] = [];
    const logger = pino(
      new Writable({
        write(chunk, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const opTimeoutMs = 500;
    const store = await open({ opTimeoutMs, logger });
    await store.set("k", "before");
    await server.stop();

    for (const call of [store.get("k"), store.set("k", 1), store.batch([{ op: "claim", key: "c" }])]) {
      const { code, ms } = await failure(call);
      expect(code).toBe("STORE_UNAVAILABLE");
      expect(ms).toBeLessThan(opTimeoutMs * 3);
    }

    server = await startRedisOn(port);
    await answersAgain(store);
    await store.set("k", "after");
    expect(await store.get("k")).toBe("after");
    // The fresh server has no scripts loaded: batch and claim load them again.
    const { applied } = await store.batch([
      { op: "claim", key: "event-1" },
      { op: "append", queue: "q", group: "g", payload: "m", owner: "dead" },
    ]);
    expect(applied).toBe(true);
    expect((await store.claim("q", "me")).map((i) => i.payload)).toEqual(["m"]);

    const lost = lines.filter((l) => l.includes("lost the connection to Redis"));
    const back = lines.filter((l) => l.includes("reconnected to Redis"));
    expect(lost).toHaveLength(1);
    expect(back).toHaveLength(1);
  });

  it("fails a call to a frozen Redis with STORE_TIMEOUT within the op timeout", async () => {
    const opTimeoutMs = 300;
    const store = await open({ opTimeoutMs });
    await store.set("k", "v");
    server.child.kill("SIGSTOP");
    try {
      const { code, ms } = await failure(store.get("k"));
      expect(code).toBe("STORE_TIMEOUT");
      expect(ms).toBeLessThan(opTimeoutMs * 5);
    } finally {
      server.child.kill("SIGCONT");
    }
    await answersAgain(store);
    expect(await store.get("k")).toBe("v");
  });
});
