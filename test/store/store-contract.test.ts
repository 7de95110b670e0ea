// One storage suite, run against every store the bridge can open (as Keyv's own stores share one):
// memory, SQLite on a temp file, and a real redis-server.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { InboundMessage } from "../../src/adapter.js";
import { PendingQueue } from "../../src/relay/pending-queue.js";
import { SessionStore } from "../../src/relay/sessions.js";
import { type BridgeStore, createStore } from "../../src/store/create-store.js";
import { type RedisServer, startRedis } from "../support/redis.js";

function message(id: string, channel = "C1"): InboundMessage {
  const conversation = { platform: "slack" as const, workspaceId: "T1", channelId: channel };
  return {
    conversation,
    replyTarget: { conversation },
    author: { id: "U1", isBot: false },
    text: `text ${id}`,
    isDirect: true,
    addressesBot: true,
    messageId: id,
    sentAt: 1,
  };
}

interface StoreUnderTest {
  name: string;
  /** A store URL; the same URL opened again must see what was written (except memory). */
  url: () => string;
  persistent: boolean;
}

let redis: RedisServer;
const dir = mkdtempSync(join(tmpdir(), "bridge-store-"));
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

const stores: StoreUnderTest[] = [
  { name: "memory", url: () => "memory://", persistent: false },
  { name: "sqlite", url: () => `sqlite://${join(dir, "bridge.sqlite")}`, persistent: true },
  { name: "redis", url: () => redis.url, persistent: true },
];

describe.each(stores)("the $name store", ({ url, persistent }) => {
  let store: BridgeStore;
  beforeEach(async () => {
    store = await createStore(url());
  });
  afterEach(async () => {
    await store.close();
  });

  it("keeps namespaces apart", async () => {
    const a = store.namespace<string>("ns-a");
    const b = store.namespace<string>("ns-b");
    await a.set("k", "from a");
    expect(await a.get("k")).toBe("from a");
    expect(await b.get("k")).toBeUndefined();
  });

  it("gives a conversation the same session until reset, and finds it by session id", async () => {
    const sessions = new SessionStore(store, 60_000);
    const target = message("m1").replyTarget;
    const key = `conv-${Math.random()}`;
    const first = await sessions.ensure(key, "bot-1", target);
    expect((await sessions.ensure(key, "bot-1", target)).sessionId).toBe(first.sessionId);
    await sessions.recordTurn(key, first, { conversationId: "conv_9", messageId: "msg_1", target });
    expect((await sessions.lookup({ conversationId: "conv_9" }))?.conversationKey).toBe(key);
    const reset = await sessions.start(key, "bot-1", target);
    expect(reset.sessionId).not.toBe(first.sessionId);
    expect((await sessions.lookup({ sessionId: reset.sessionId }))?.conversationKey).toBe(key);
  });

  it("forgets a session after the idle time", async () => {
    const sessions = new SessionStore(store, 50);
    const key = `idle-${Math.random()}`;
    await sessions.ensure(key, "bot-1", message("m1").replyTarget);
    expect(await sessions.get(key)).toBeDefined();
    // Keyv checks the stored expiry against Date.now() on read, so moving the clock is enough.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 1000);
      expect(await sessions.get(key)).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it("returns pending messages in the order accepted and remembers answered ones", async () => {
    const namespace = `q-${Math.random()}`;
    const scoped: BridgeStore = { ...store, namespace: (n) => store.namespace(`${namespace}-${n}`) };
    const queue = new PendingQueue(scoped, 60_000);
    const a = await queue.add(message("a"), 1);
    const b = await queue.add(message("b"), 2);
    const c = await queue.add(message("c"), 3);
    await queue.answered([b]);
    expect((await queue.load()).map((p) => p.message.messageId)).toEqual(["a", "c"]);
    expect(await queue.seen(b.key)).toBe(true);
    expect(await queue.seen(PendingQueue.dedupeKey(message("never")))).toBe(false);
    await queue.answered([a, c]);
    expect(await queue.load()).toEqual([]);
  });

  it("loses nothing when two processes accept messages at once, and a third finds them all", async () => {
    const namespace = `two-${Math.random()}`;
    const scope = (s: BridgeStore): BridgeStore => ({
      ...s,
      namespace: (n) => s.namespace(`${namespace}-${n}`),
    });
    const other = persistent ? await createStore(url()) : store;
    try {
      const a = new PendingQueue(scope(store), 60_000);
      const b = new PendingQueue(scope(other), 60_000);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => [a.add(message(`a${i}`), i), b.add(message(`b${i}`), i)]).flat(),
      );
      const loaded = await new PendingQueue(scope(store), 60_000).load();
      expect(loaded).toHaveLength(40);
      expect(new Set(loaded.map((p) => p.message.messageId)).size).toBe(40);
    } finally {
      if (other !== store) await other.close();
    }
  });

  it("finds a message accepted while the backlog was being loaded", async () => {
    const namespace = `race-${Math.random()}`;
    const scoped: BridgeStore = { ...store, namespace: (n) => store.namespace(`${namespace}-${n}`) };
    const queue = new PendingQueue(scoped, 60_000);
    await Promise.all([queue.load(), queue.add(message("during-load"), 1)]);
    await queue.add(message("after-load"), 2);
    await queue.load();
    const next = await new PendingQueue(scoped, 60_000).load();
    expect(next.map((p) => p.message.messageId)).toEqual(["during-load", "after-load"]);
  });

  it.runIf(persistent)("keeps pending messages and sessions across a reopen", async () => {
    const namespace = `reopen-${Math.random()}`;
    const scope = (s: BridgeStore): BridgeStore => ({
      ...s,
      namespace: (n) => s.namespace(`${namespace}-${n}`),
    });
    await new PendingQueue(scope(store), 60_000).add(message("survivor"), 1);
    await new SessionStore(scope(store), 60_000).ensure("k", "bot-1", message("x").replyTarget);
    await store.close();
    store = await createStore(url());
    expect((await new PendingQueue(scope(store), 60_000).load()).map((p) => p.message.messageId)).toEqual([
      "survivor",
    ]);
    expect(await new SessionStore(scope(store), 60_000).get("k")).toBeDefined();
  });
});
