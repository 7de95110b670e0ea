// The leader lease's timing on fake time: one replica runs the connection, a standby takes over
// after a graceful stop or a crash, and a holder that cannot renew stops before its lock could pass.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LeaderLease, leaderRoles } from "../../src/leadership.js";
import { silentLogger } from "../../src/logger.js";
import { MemoryStore } from "../../src/store/memory-store.js";

const LEASE = 3000;

class FlakyStore extends MemoryStore {
  failing = false;
  override async holdLock(name: string, owner: string, ttlMs: number): Promise<boolean> {
    if (this.failing) throw new Error("store unreachable");
    return super.holdLock(name, owner, ttlMs);
  }
}

function replica(store: MemoryStore, name: string) {
  const events: Array<{ at: number; what: "lead" | "abdicate" }> = [];
  const lease = new LeaderLease({
    store,
    lock: "telegram:poller:1",
    logger: silentLogger(),
    leaseMs: LEASE,
    owner: name,
    messages: { leading: "leading", standingBy: "standing by" },
    lead: async () => {
      events.push({ at: Date.now(), what: "lead" });
    },
    abdicate: async () => {
      events.push({ at: Date.now(), what: "abdicate" });
    },
  });
  return { lease, events, running: () => events.at(-1)?.what === "lead" };
}

describe("leader lease", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("runs the connection on one of two replicas, and on the other at its next try after a graceful stop", async () => {
    const store = new MemoryStore();
    const a = replica(store, "a");
    const b = replica(store, "b");
    await a.lease.start();
    await b.lease.start();
    await vi.advanceTimersByTimeAsync(LEASE * 3);
    expect(a.running()).toBe(true);
    expect(b.running()).toBe(false);
    expect(b.events).toEqual([]);
    const stoppedAt = Date.now();
    await a.lease.stop();
    expect(a.running()).toBe(false);
    await vi.advanceTimersByTimeAsync(LEASE / 3);
    expect(b.running()).toBe(true);
    expect(b.events[0]!.at - stoppedAt).toBeLessThanOrEqual(LEASE / 3);
    await b.lease.stop();
    await store.close();
  });

  it("lets a standby take over within the lease time when the holder dies", async () => {
    const store = new MemoryStore();
    const a = replica(store, "a");
    const b = replica(store, "b");
    await a.lease.start();
    await b.lease.start();
    // A crash: a's timers stop and it never releases (a.lease is simply abandoned).
    vi.spyOn(a.lease as unknown as { tick(): Promise<void> }, "tick").mockResolvedValue(undefined);
    const diedAt = Date.now();
    await vi.advanceTimersByTimeAsync(LEASE + LEASE / 3 + 1);
    expect(b.running()).toBe(true);
    expect(b.events[0]!.at - diedAt).toBeLessThanOrEqual(LEASE + LEASE / 3);
    await b.lease.stop();
    await store.close();
  });

  it("stops the connection before the lock can expire when renewals fail", async () => {
    const store = new FlakyStore();
    const a = replica(store, "a");
    const b = replica(store, "b");
    await a.lease.start();
    const lastRenewal = Date.now();
    store.failing = true;
    await b.lease.start();
    await vi.advanceTimersByTimeAsync(LEASE);
    expect(a.events.map((e) => e.what)).toEqual(["lead", "abdicate"]);
    expect(a.events[1]!.at).toBeLessThan(lastRenewal + LEASE);
    expect(leaderRoles.get("telegram:poller:1")).toBe(false);
    store.failing = false;
    await vi.advanceTimersByTimeAsync(LEASE);
    // Once the store answers again exactly one of them leads.
    expect([a.running(), b.running()].filter(Boolean)).toHaveLength(1);
    await a.lease.stop();
    await b.lease.stop();
    await store.close();
  });

  it("stops at once when another replica holds the lock at renewal", async () => {
    const store = new MemoryStore();
    const a = replica(store, "a");
    await a.lease.start();
    expect(a.running()).toBe(true);
    // As if a's lock had lapsed and another replica took it (a paused process, a clock jump).
    await store.releaseLock("telegram:poller:1", "a");
    await store.holdLock("telegram:poller:1", "intruder", LEASE);
    await vi.advanceTimersByTimeAsync(LEASE / 3);
    expect(a.running()).toBe(false);
    await a.lease.stop();
    expect(await store.lockHolder("telegram:poller:1")).toBe("intruder");
    await store.close();
  });
});
