// The one behaviour suite every store must pass (memory, SQLite, Redis), as Keyv runs one suite
// against each of its adapters. A harness says how to open the store under test and how time passes.
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULTS } from "../../src/defaults.js";
import { StoreError } from "../../src/errors.js";
import type { QueueItem, Store } from "../../src/store/types.js";
import { runChild } from "./child.js";

export interface ContractHarness {
  /** Opens the store under test; stores opened in one test share their data (except memory). */
  open(options?: { now?: () => number }): Promise<Store>;
  /** True when the store takes its time from `now` (memory, SQLite); false for Redis's own clock. */
  fakeClock: boolean;
  /** The STORE_URL a second process opens to share this store; undefined when it cannot (memory). */
  url?: () => string;
}

class FakeClock {
  t = 1_700_000_000_000;
  now = () => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Polls `check` until it returns true; bounded, for waiting on real TTLs expiring in Redis. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function storeContract(name: string, harness: ContractHarness): void {
  describe(`${name} store`, () => {
    const opened: Store[] = [];
    const clock = new FakeClock();
    const open = async (): Promise<Store> => {
      const store = await harness.open(harness.fakeClock ? { now: clock.now } : {});
      opened.push(store);
      return store;
    };
    /** For tests shared with a second process, which keeps real time. */
    const openRealTime = async (): Promise<Store> => {
      const store = await harness.open();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });
    /** Lets `ms` pass for TTLs: fake time where the store allows it, else waits until `gone` holds. */
    const pass = async (ms: number, gone: () => Promise<boolean>, what: string): Promise<void> => {
      if (harness.fakeClock) {
        clock.advance(ms);
        expect(await gone()).toBe(true);
      } else {
        await until(gone, what);
      }
    };
    let n = 0;
    const unique = (label: string) => `${label}-${process.pid}-${Date.now()}-${++n}`;

    it("returns what was set, as JSON, and forgets what was deleted", async () => {
      const store = await open();
      const key = unique("k");
      expect(await store.get(key)).toBeUndefined();
      const value = { text: "héllo", n: 3, list: [1, "two", null], nested: { ok: true } };
      await store.set(key, value);
      expect(await store.get(key)).toEqual(value);
      await store.set(key, "replaced");
      expect(await store.get(key)).toBe("replaced");
      for (const v of [0, false, null, "", [], 1.5]) {
        await store.set(`${key}:v`, v);
        expect(await store.get(`${key}:v`)).toEqual(v);
      }
      expect(await store.delete(key)).toBe(true);
      expect(await store.delete(key)).toBe(false);
      expect(await store.get(key)).toBeUndefined();
    });

    it("keeps a value for its time to live and then forgets it", async () => {
      const store = await open();
      const key = unique("ttl");
      const ttl = harness.fakeClock ? 60_000 : 150;
      await store.set(key, "short", ttl);
      await store.set(`${key}:forever`, "long");
      if (harness.fakeClock) {
        clock.advance(ttl - 1);
        expect(await store.get(key)).toBe("short");
      }
      await pass(ttl + 1, async () => (await store.get(key)) === undefined, "the key to expire");
      expect(await store.get(`${key}:forever`)).toBe("long");
      expect(await store.delete(key)).toBe(false);
    });

    it("lets exactly one of 50 racing callers claim a key, and again once the claim expires", async () => {
      const store = await open();
      const key = unique("claim");
      const ttl = harness.fakeClock ? 60_000 : 150;
      const wins = await Promise.all(Array.from({ length: 50 }, (_, i) => store.setIfAbsent(key, i, ttl)));
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect(await store.get(key)).toBe(wins.indexOf(true));
      await pass(ttl + 1, async () => (await store.get(key)) === undefined, "the claim to expire");
      expect(await store.setIfAbsent(key, "again", ttl)).toBe(true);
    });

    if (harness.url) {
      const url = harness.url;
      it("lets exactly one of 50 callers in two processes claim a key", async () => {
        const store = await openRealTime();
        const key = unique("race");
        const child = runChild(url(), { action: "setIfAbsent", key, count: 25 });
        await child.ready;
        child.go();
        const mine = await Promise.all(Array.from({ length: 25 }, () => store.setIfAbsent(key, "parent")));
        const theirs = (await child.result) as boolean[];
        expect(theirs).toHaveLength(25);
        expect([...mine, ...theirs].filter(Boolean)).toHaveLength(1);
      });
    }

    it("writes nothing of a batch whose claim is already taken", async () => {
      const store = await open();
      const claimKey = unique("dedup");
      const queue = unique("q");
      await store.set(`${claimKey}:other`, "before");
      const first = await store.batch([
        { op: "claim", key: claimKey, ttlMs: 600_000 },
        { op: "append", queue, group: "g", payload: { text: "first" }, owner: "A" },
      ]);
      expect(first.applied).toBe(true);
      expect(first.appended).toHaveLength(1);
      expect(first.appended[0]).toMatchObject({ queue, group: "g", payload: { text: "first" }, owner: "A" });
      expect(await store.get(claimKey)).toBe(true);

      const second = await store.batch([
        { op: "set", key: `${claimKey}:set`, value: 1 },
        { op: "delete", key: `${claimKey}:other` },
        { op: "append", queue, group: "g", payload: { text: "again" }, owner: "A" },
        { op: "claim", key: claimKey },
      ]);
      expect(second).toEqual({ applied: false, appended: [], taken: [] });
      expect(await store.get(`${claimKey}:set`)).toBeUndefined();
      expect(await store.get(`${claimKey}:other`)).toBe("before");
      expect(await store.queueSize(queue)).toBe(1);
    });

    it("applies every kind of write in one batch", async () => {
      const store = await open();
      const key = unique("b");
      const queue = unique("q");
      await store.set(`${key}:gone`, 1);
      const { appended } = await store.batch([
        { op: "append", queue, group: "g", payload: 1, owner: "A" },
        { op: "append", queue, group: "g", payload: 2, owner: "A" },
      ]);
      const [one, two] = appended as [QueueItem, QueueItem];
      expect(two.seq).toBeGreaterThan(one.seq);
      expect(one.id).not.toBe(two.id);
      const result = await store.batch([
        { op: "set", key, value: { v: 1 }, ttlMs: 600_000 },
        { op: "delete", key: `${key}:gone` },
        { op: "claim", key: `${key}:claim`, value: "mine" },
        { op: "update", queue, id: one.id, payload: "one, updated" },
        { op: "ack", queue, id: two.id },
        { op: "update", queue, id: two.id, payload: "acked items stay acked" },
      ]);
      expect(result).toEqual({ applied: true, appended: [], taken: [] });
      expect(await store.get(key)).toEqual({ v: 1 });
      expect(await store.get(`${key}:gone`)).toBeUndefined();
      expect(await store.get(`${key}:claim`)).toBe("mine");
      expect(await store.queueSize(queue)).toBe(1);
      const claimed = await store.claim(queue, "B");
      expect(claimed.map((i) => [i.id, i.payload])).toEqual([[one.id, "one, updated"]]);
    });

    it("keeps an item with its owner while the owner's lease lives, then hands it on", async () => {
      const store = await open();
      const queue = unique("q");
      const lease = harness.fakeClock ? 30_000 : 200;
      await store.renewLease("A", lease);
      await store.renewLease("B", 600_000);
      const { appended } = await store.batch([
        { op: "append", queue, group: "g", payload: "hello", owner: "A" },
      ]);
      const item = appended[0]!;
      expect(await store.claim(queue, "B")).toEqual([]);
      expect(await store.claim(queue, "A")).toEqual([]);
      if (harness.fakeClock) {
        clock.advance(lease / 2);
        await store.renewLease("A", lease);
        clock.advance(lease / 2 + 1);
        expect(await store.claim(queue, "B")).toEqual([]);
      }
      let claimed: QueueItem[] = [];
      await pass(
        lease + 1,
        async () => {
          claimed = await store.claim(queue, "B");
          return claimed.length > 0;
        },
        "A's lease to lapse",
      );
      expect(claimed).toEqual([{ ...item, owner: "B" }]);
      expect(await store.claim(queue, "A")).toEqual([]);
      expect(await store.queueSize(queue)).toBe(1);
      await store.batch([{ op: "ack", queue, id: item.id }]);
      expect(await store.queueSize(queue)).toBe(0);
    });

    it("hands a released owner's items to the next claimant at once", async () => {
      const store = await open();
      const queue = unique("q");
      await store.renewLease("A", 600_000);
      await store.renewLease("B", 600_000);
      await store.batch([{ op: "append", queue, group: "g", payload: "x", owner: "A" }]);
      expect(await store.claim(queue, "B")).toEqual([]);
      await store.releaseLease("A");
      expect((await store.claim(queue, "B")).map((i) => i.payload)).toEqual(["x"]);
      expect(await store.claim(queue, "C")).toEqual([]);
    });

    it("gives a process back its own items only after its lease lapsed", async () => {
      const store = await open();
      const queue = unique("q");
      await store.renewLease("A", 600_000);
      await store.batch([{ op: "append", queue, group: "g", payload: "x", owner: "A" }]);
      expect(await store.claim(queue, "A")).toEqual([]);
      await store.releaseLease("A");
      expect((await store.claim(queue, "A")).map((i) => i.payload)).toEqual(["x"]);
    });

    it("gives a process its own held items again only when it asks for them", async () => {
      const store = await open();
      const queue = unique("q");
      await store.renewLease("A", 600_000);
      await store.batch([{ op: "append", queue, group: "g", payload: "stored, reply lost", owner: "A" }]);
      expect(await store.claim(queue, "A")).toEqual([]);
      expect((await store.claim(queue, "A", { includeOwn: true })).map((i) => i.payload)).toEqual([
        "stored, reply lost",
      ]);
      await store.renewLease("B", 600_000);
      expect(await store.claim(queue, "B", { includeOwn: true })).toEqual([]);
    });

    it("lets anyone claim an unowned item once, its appender included", async () => {
      const store = await open();
      const queue = unique("q");
      await store.renewLease("A", 600_000);
      await store.renewLease("B", 600_000);
      await store.batch([{ op: "append", queue, group: "g", payload: "contact" }]);
      expect((await store.claim(queue, "A")).map((i) => i.payload)).toEqual(["contact"]);
      expect(await store.claim(queue, "B")).toEqual([]);
      expect(await store.claim(queue, "A")).toEqual([]);
    });

    it("lists the owners whose lease lives, and not those released or lapsed", async () => {
      const store = await open();
      const [a, b, c] = [unique("A"), unique("B"), unique("C")];
      const short = harness.fakeClock ? 1_000 : 200;
      await store.renewLease(a, 600_000);
      await store.renewLease(b, 600_000);
      await store.renewLease(c, short);
      expect(await store.listLeases()).toEqual(expect.arrayContaining([a, b, c]));
      await store.releaseLease(b);
      await pass(short + 1, async () => !(await store.listLeases()).includes(c), "C's lease to lapse");
      const live = await store.listLeases();
      expect(live).toContain(a);
      expect(live).not.toContain(b);
      expect(live).not.toContain(c);
    });

    it("takes at most `limit` budget slots in any rolling window, and says when the next one frees", async () => {
      const store = await open();
      const key = unique("budget");
      const span = harness.fakeClock ? 60_000 : 400;
      const taken = [];
      for (let i = 0; i < 5; i++) {
        taken.push(await store.takeSlot(key, span, 3, `m${i}`));
        await store.finishSlot(key, span, `m${i}`);
      }
      expect(taken.slice(0, 3)).toEqual([
        { taken: true, left: 2 },
        { taken: true, left: 1 },
        { taken: true, left: 0 },
      ]);
      const refused = taken[3]!;
      expect(refused.taken).toBe(false);
      if (!refused.taken) {
        expect(refused.waitMs).toBeGreaterThan(0);
        expect(refused.waitMs).toBeLessThanOrEqual(span);
      }
      expect(await store.listSlots(key, span)).toHaveLength(3);
      let next = await store.takeSlot(key, span, 3, "late");
      await pass(
        span + 1,
        async () => {
          next = await store.takeSlot(key, span, 3, "late");
          return next.taken;
        },
        "a slot to leave the window",
      );
      expect(next.taken).toBe(true);
    });

    it("counts a slot while its call runs, however long, and a window after the call finished", async () => {
      const store = await open();
      const key = unique("budget");
      const span = harness.fakeClock ? 60_000 : 300;
      expect((await store.takeSlot(key, span, 1, "slow call")).taken).toBe(true);
      const [takenAt] = await store.listSlots(key, span);
      if (harness.fakeClock) clock.advance(1.5 * span);
      else await until(async () => Date.now() > takenAt! + 1.5 * span, "more than a window to pass");
      const refused = await store.takeSlot(key, span, 1, "next");
      expect(refused).toEqual({ taken: false, waitMs: span });
      await store.finishSlot(key, span, "slow call");
      expect((await store.takeSlot(key, span, 1, "next")).taken).toBe(false);
      let next = refused;
      await pass(
        span + 1,
        async () => {
          next = await store.takeSlot(key, span, 1, "next");
          return next.taken;
        },
        "the finished call to leave the window",
      );
      expect(next.taken).toBe(true);
    });

    it("re-dates a finished slot, so the call holds it from when it ended", async () => {
      const store = await open();
      const key = unique("budget");
      const span = harness.fakeClock ? 60_000 : 2_000;
      expect((await store.takeSlot(key, span, 1, "call")).taken).toBe(true);
      const [startedAt] = await store.listSlots(key, span);
      if (harness.fakeClock) clock.advance(10_000);
      else await until(async () => Date.now() > startedAt! + 20, "the clock to move");
      await store.finishSlot(key, span, "call");
      const [finishedAt] = await store.listSlots(key, span);
      expect(finishedAt).toBeGreaterThan(startedAt!);
      expect((await store.takeSlot(key, span, 1, "second")).taken).toBe(false);
    });

    describe("a budget window's waiting line", () => {
      const span = harness.fakeClock ? 60_000 : 300;
      /** Two processes' tickets: the first has waited longer. */
      const older = { id: "replica-a", since: 1_000 };
      const younger = { id: "replica-b", since: 2_000 };
      /** A window of one slot, held by a finished call; both tickets told to wait for it. */
      const fullWindowWithLine = async (store: Store, key: string) => {
        expect((await store.takeSlot(key, span, 1, "first")).taken).toBe(true);
        await store.finishSlot(key, span, "first");
        expect((await store.takeSlot(key, span, 1, "b", younger)).taken).toBe(false);
        expect((await store.takeSlot(key, span, 1, "a", older)).taken).toBe(false);
      };
      const fillTwoSlotWindow = async (store: Store, key: string) => {
        for (const call of ["x", "y"]) {
          expect((await store.takeSlot(key, span, 2, call)).taken).toBe(true);
          await store.finishSlot(key, span, call);
        }
      };
      const windowEmpties = (store: Store, key: string) =>
        pass(span + 1, async () => (await store.listSlots(key, span)).length === 0, "the window to empty");

      it("gives a freed slot to the process that has waited longest, whichever asks first", async () => {
        const store = await open();
        const key = unique("budget");
        await fullWindowWithLine(store, key);
        await windowEmpties(store, key);
        // The slot is the older one's; the younger's turn could come a window after it is taken.
        expect(await store.takeSlot(key, span, 1, "b", younger)).toEqual({
          taken: false,
          waitMs: Math.min(span, DEFAULTS.budgetLineGraceMs),
        });
        expect((await store.takeSlot(key, span, 1, "a", older)).taken).toBe(true);
        // Taking the slot spent the older ticket: the next free slot is the younger one's.
        await store.finishSlot(key, span, "a");
        await windowEmpties(store, key);
        expect((await store.takeSlot(key, span, 1, "b", younger)).taken).toBe(true);
      });

      it("lets as many waiting processes take a slot at once as the window has free, oldest first", async () => {
        const store = await open();
        const key = unique("budget");
        await fillTwoSlotWindow(store, key);
        const oldest = { id: "replica-0", since: 500 };
        for (const ticket of [younger, older, oldest])
          expect((await store.takeSlot(key, span, 2, ticket.id, ticket)).taken).toBe(false);
        await windowEmpties(store, key);
        // Two slots free: the younger waits behind two, each of the others behind fewer than two.
        expect((await store.takeSlot(key, span, 2, "b", younger)).taken).toBe(false);
        expect(await store.takeSlot(key, span, 2, "a", older)).toEqual({ taken: true, left: 1 });
        expect(await store.takeSlot(key, span, 2, "o", oldest)).toEqual({ taken: true, left: 0 });
      });

      it("stops holding the line for a process that does not come back for its slot (it died)", async () => {
        const store = await open();
        const key = unique("budget");
        await fullWindowWithLine(store, key);
        await windowEmpties(store, key);
        expect((await store.takeSlot(key, span, 1, "b", younger)).taken).toBe(false);
        await pass(
          DEFAULTS.budgetLineGraceMs,
          async () => (await store.takeSlot(key, span, 1, "b", younger)).taken,
          "the older ticket to leave the line",
        );
      });

      it("stops holding the line at once for a process that leaves it", async () => {
        const store = await open();
        const key = unique("budget");
        await fullWindowWithLine(store, key);
        await store.leaveLine(key, older.id);
        await windowEmpties(store, key);
        expect((await store.takeSlot(key, span, 1, "b", younger)).taken).toBe(true);
      });

      it("keeps a process's other waiting calls in line after its first takes a slot", async () => {
        const store = await open();
        const key = unique("budget");
        await fillTwoSlotWindow(store, key);
        const olderWithMore = { ...older, behind: [1_500] };
        expect((await store.takeSlot(key, span, 2, "b", younger)).taken).toBe(false);
        expect((await store.takeSlot(key, span, 2, "a1", olderWithMore)).taken).toBe(false);
        await windowEmpties(store, key);
        // Two slots free, and the older process has two calls waiting longer than the younger's.
        expect((await store.takeSlot(key, span, 2, "a1", olderWithMore)).taken).toBe(true);
        expect((await store.takeSlot(key, span, 2, "b", younger)).taken).toBe(false);
        expect((await store.takeSlot(key, span, 2, "a2", { id: older.id, since: 1_500 })).taken).toBe(true);
      });

      it("takes the calls a process said wait behind its ticket out of the line when it leaves", async () => {
        const store = await open();
        const key = unique("budget");
        expect((await store.takeSlot(key, span, 1, "first")).taken).toBe(true);
        await store.finishSlot(key, span, "first");
        expect((await store.takeSlot(key, span, 1, "b", younger)).taken).toBe(false);
        expect((await store.takeSlot(key, span, 1, "a", { ...older, behind: [1_500] })).taken).toBe(false);
        await store.leaveLine(key, older.id);
        await windowEmpties(store, key);
        expect((await store.takeSlot(key, span, 1, "b", younger)).taken).toBe(true);
      });

      it("lets a lone ticket, or a caller without one, take a free slot at once", async () => {
        const store = await open();
        const key = unique("budget");
        expect((await store.takeSlot(key, span, 2, "lone", older)).taken).toBe(true);
        await store.finishSlot(key, span, "lone");
        expect((await store.takeSlot(key, span, 2, "b", younger)).taken).toBe(true);
        await store.finishSlot(key, span, "b");
        expect((await store.takeSlot(key, span, 2, "a", older)).taken).toBe(false);
        await windowEmpties(store, key);
        expect((await store.takeSlot(key, span, 2, "no ticket")).taken).toBe(true);
      });
    });

    it("hands out items oldest first, keeping each conversation's order", async () => {
      const store = await open();
      const queue = unique("q");
      await store.renewLease("B", 600_000);
      await store.renewLease("C", 600_000);
      for (const [group, text] of [
        ["g1", "a1"],
        ["g2", "b1"],
        ["g1", "a2"],
        ["g3", "c1"],
        ["g2", "b2"],
        ["g1", "a3"],
      ] as const) {
        await store.batch([{ op: "append", queue, group, payload: text, owner: "crashed" }]);
      }
      const first = await store.claim<string>(queue, "B", { limit: 2 });
      expect(first.map((i) => i.payload)).toEqual(["a1", "b1"]);
      // C must not overtake B inside g1 or g2: B holds their earlier items.
      const second = await store.claim<string>(queue, "C");
      expect(second.map((i) => i.payload)).toEqual(["c1"]);
      await store.releaseLease("B");
      const rest = await store.claim<string>(queue, "C");
      expect(rest.map((i) => i.payload)).toEqual(["a1", "b1", "a2", "b2", "a3"]);
      const seqs = rest.map((i) => i.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    });

    it("gives an item appended while another live process holds its conversation to that process", async () => {
      const store = await open();
      const queue = unique("q");
      await store.renewLease("A", 600_000);
      await store.renewLease("B", 600_000);
      const first = (
        await store.batch([{ op: "append", queue, group: "g", payload: "a1", owner: "A", joinHolder: true }])
      ).appended[0]!;
      expect(first.owner).toBe("A");
      expect(first.earlier).toEqual([]);
      const { appended } = await store.batch([
        { op: "append", queue, group: "g", payload: "b2", owner: "B", joinHolder: true },
        { op: "append", queue, group: "other", payload: "b3", owner: "B", joinHolder: true },
      ]);
      expect(appended.map((i) => [i.payload, i.owner, i.earlier])).toEqual([
        ["b2", "A", [first.id]],
        ["b3", "B", []],
      ]);
      expect(await store.claim(queue, "B", { includeOwn: true })).toEqual([
        expect.objectContaining({ payload: "b3" }),
      ]);
      // Once A has answered everything of "g", the next message of it stays with whoever took it.
      await store.batch([
        { op: "ack", queue, id: first.id },
        { op: "ack", queue, id: appended[0]!.id },
      ]);
      const later = await store.batch([
        { op: "append", queue, group: "g", payload: "b4", owner: "B", joinHolder: true },
      ]);
      expect(later.appended[0]).toMatchObject({ owner: "B", earlier: [] });
    });

    it("gives a conversation nobody live holds, with what a dead process left of it, to the next appender", async () => {
      const store = await open();
      const queue = unique("q");
      await store.renewLease("B", 600_000);
      await store.renewLease("C", 600_000);
      const left = await store.batch([
        { op: "append", queue, group: "g", payload: "x1", owner: "crashed" },
        { op: "append", queue, group: "g", payload: "x2", owner: "crashed" },
      ]);
      const { appended } = await store.batch([
        { op: "append", queue, group: "g", payload: "b3", owner: "B", joinHolder: true },
      ]);
      expect(appended[0]).toMatchObject({ owner: "B", earlier: left.appended.map((i) => i.id) });
      expect(await store.claim(queue, "C")).toEqual([]);
      const { taken } = await store.batch([{ op: "take", queue, group: "g", owner: "B" }]);
      expect(taken.map((i) => [i.payload, i.owner])).toEqual([
        ["x1", "B"],
        ["x2", "B"],
        ["b3", "B"],
      ]);
    });

    it("hands a holder what others appended to its conversation, in the batch that acks its answered items", async () => {
      const store = await open();
      const queue = unique("q");
      await store.renewLease("A", 600_000);
      await store.renewLease("B", 600_000);
      const a1 = (
        await store.batch([{ op: "append", queue, group: "g", payload: "a1", owner: "A", joinHolder: true }])
      ).appended[0]!;
      await store.batch([{ op: "append", queue, group: "g", payload: "b2", owner: "B", joinHolder: true }]);
      expect((await store.batch([{ op: "take", queue, group: "g", owner: "B" }])).taken).toEqual([]);
      const { taken } = await store.batch([
        { op: "ack", queue, id: a1.id },
        { op: "take", queue, group: "g", owner: "A" },
      ]);
      expect(taken.map((i) => [i.payload, i.owner])).toEqual([["b2", "A"]]);
      expect((await store.batch([{ op: "take", queue, group: "empty", owner: "A" }])).taken).toEqual([]);
    });

    it("leaves a whole conversation to the live process holding any of its items", async () => {
      const store = await open();
      const queue = unique("q");
      await store.renewLease("A", 600_000);
      await store.renewLease("B", 600_000);
      await store.batch([{ op: "append", queue, group: "g", payload: "x1", owner: "crashed" }]);
      await store.batch([{ op: "append", queue, group: "g", payload: "a2", owner: "A" }]);
      expect(await store.claim(queue, "B")).toEqual([]);
      expect((await store.claim<string>(queue, "A")).map((i) => i.payload)).toEqual(["x1"]);
    });

    it("appends, claims in order and acks 10,000 items", async () => {
      const store = await open();
      const queue = unique("big");
      await store.renewLease("B", 600_000);
      const ops = Array.from({ length: 10_000 }, (_, i) => ({
        op: "append" as const,
        queue,
        group: `g${i % 7}`,
        payload: { i },
        owner: "gone",
      }));
      for (let i = 0; i < ops.length; i += 1000) await store.batch(ops.slice(i, i + 1000));
      expect(await store.queueSize(queue)).toBe(10_000);
      const claimed = await store.claim<{ i: number }>(queue, "B");
      expect(claimed.map((c) => c.payload.i)).toEqual(ops.map((o) => o.payload.i));
      for (let i = 0; i < claimed.length; i += 1000) {
        await store.batch(claimed.slice(i, i + 1000).map((c) => ({ op: "ack" as const, queue, id: c.id })));
      }
      expect(await store.queueSize(queue)).toBe(0);
    });

    if (harness.url) {
      const url = harness.url;
      it("never gives one item to two processes claiming at once", async () => {
        const store = await openRealTime();
        const queue = unique("q");
        const ops = Array.from({ length: 200 }, (_, i) => ({
          op: "append" as const,
          queue,
          group: `g${i % 20}`,
          payload: i,
          owner: "crashed",
        }));
        await store.batch(ops);
        const child = runChild(url(), { action: "claim", queue, owner: "child" });
        await child.ready;
        await store.renewLease("parent", 600_000);
        child.go();
        const mine: string[] = [];
        for (;;) {
          const got = await store.claim(queue, "parent", { limit: 3 });
          if (got.length === 0) break;
          mine.push(...got.map((i) => i.id));
        }
        const theirs = (await child.result) as string[];
        expect(new Set([...mine, ...theirs]).size).toBe(mine.length + theirs.length);
        expect(mine.length + theirs.length).toBe(200);
      });
    }

    it("refuses a value that is not JSON or a TTL that is not positive, writing nothing", async () => {
      const store = await open();
      const key = unique("bad");
      await expect(store.set(key, undefined)).rejects.toThrow(TypeError);
      await expect(store.set(key, 1, 0)).rejects.toThrow(TypeError);
      await expect(store.setIfAbsent(key, 1, -5)).rejects.toThrow(TypeError);
      await expect(store.renewLease("A", Number.NaN)).rejects.toThrow(TypeError);
      await expect(
        store.batch([
          { op: "set", key, value: 1 },
          { op: "claim", key: `${key}:c`, ttlMs: 0 },
        ]),
      ).rejects.toThrow(TypeError);
      expect(await store.get(key)).toBeUndefined();
      expect(await store.get(`${key}:c`)).toBeUndefined();
    });

    it("fails every call of a closed store with STORE_UNAVAILABLE", async () => {
      const store = await open();
      await store.close();
      const calls: Array<() => Promise<unknown>> = [
        () => store.get("k"),
        () => store.set("k", 1),
        () => store.delete("k"),
        () => store.setIfAbsent("k", 1),
        () => store.batch([{ op: "set", key: "k", value: 1 }]),
        () => store.renewLease("A", 1000),
        () => store.releaseLease("A"),
        () => store.claim("q", "A"),
        () => store.queueSize("q"),
        () => store.listLeases(),
        () => store.takeSlot("b", 1000, 1, "m"),
        () => store.ping(),
      ];
      for (const call of calls) {
        const error = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StoreError);
        expect((error as StoreError).code).toBe("STORE_UNAVAILABLE");
      }
    });

    it("gives a named lock to one of 50 racing takers, and keeps it for its holder", async () => {
      const store = await open();
      const name = unique("lock");
      const ttl = harness.fakeClock ? 60_000 : 5_000;
      const takers = Array.from({ length: 50 }, (_, i) => `replica-${i}`);
      const wins = await Promise.all(takers.map((owner) => store.holdLock(name, owner, ttl)));
      expect(wins.filter(Boolean)).toHaveLength(1);
      const holder = takers[wins.indexOf(true)]!;
      expect(await store.lockHolder(name)).toBe(holder);
      expect(await store.holdLock(name, holder, ttl)).toBe(true);
      expect(await store.holdLock(name, "someone-else", ttl)).toBe(false);
      expect(await store.lockHolder(name)).toBe(holder);
    });

    it("lets another replica take a lock its holder stopped renewing, once it expires", async () => {
      const store = await open();
      const name = unique("lock");
      const ttl = harness.fakeClock ? 60_000 : 200;
      expect(await store.holdLock(name, "crashed", ttl)).toBe(true);
      if (harness.fakeClock) {
        clock.advance(ttl - 1);
        expect(await store.holdLock(name, "standby", ttl)).toBe(false);
      }
      await pass(ttl + 1, async () => (await store.lockHolder(name)) === undefined, "the lock to expire");
      expect(await store.holdLock(name, "standby", ttl)).toBe(true);
      expect(await store.lockHolder(name)).toBe("standby");
      expect(await store.holdLock(name, "crashed", ttl)).toBe(false);
    });

    it("frees a lock only for its holder", async () => {
      const store = await open();
      const name = unique("lock");
      expect(await store.holdLock(name, "A", 60_000)).toBe(true);
      await store.releaseLock(name, "B");
      expect(await store.lockHolder(name)).toBe("A");
      expect(await store.holdLock(name, "B", 60_000)).toBe(false);
      await store.releaseLock(name, "A");
      expect(await store.lockHolder(name)).toBeUndefined();
      expect(await store.holdLock(name, "B", 60_000)).toBe(true);
      await expect(store.holdLock(name, "B", 0)).rejects.toThrow(TypeError);
    });

    if (harness.url) {
      const url = harness.url;
      it("gives a named lock to exactly one of 50 takers in two processes", async () => {
        const store = await openRealTime();
        const name = unique("lock-race");
        const child = runChild(url(), { action: "holdLock", name, count: 25 });
        await child.ready;
        child.go();
        const mine = await Promise.all(
          Array.from({ length: 25 }, (_, i) => store.holdLock(name, `parent-${i}`, 600_000)),
        );
        const theirs = (await child.result) as boolean[];
        expect(theirs).toHaveLength(25);
        expect([...mine, ...theirs].filter(Boolean)).toHaveLength(1);
      });
    }
  });
}
