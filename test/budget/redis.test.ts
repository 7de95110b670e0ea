// On Redis, bridge processes sharing one store share one budget: reservations are atomic there, so
// two budgets with the same key never start more than the limit in any window between them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BudgetRegistry } from "../../src/budget/index.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/types.js";
import { maxCallsInAnyWindow } from "../emulators/assistant/sliding-window.js";
import { type RedisServer, skipWithoutRedis, startRedis } from "../support/redis.js";

const RATE = { limit: 5, windowMs: 500 };

describe.skipIf(skipWithoutRedis())("budgets shared through Redis", () => {
  let redis: RedisServer;
  const stores: Store[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await redis.stop();
  });

  async function replica(chatRate = RATE): Promise<BudgetRegistry> {
    const store = await openStore(redis.url);
    stores.push(store);
    return new BudgetRegistry({ store, chatRate });
  }

  it("two replicas on one Redis with the same key together stay within the limit in every window", async () => {
    const [a, b] = [await replica(), await replica()];
    const starts: number[] = [];
    const run = (registry: BudgetRegistry) =>
      Array.from({ length: 10 }, () =>
        registry.budgetFor("shared-key", "chat").schedule(async () => void starts.push(Date.now())),
      );
    await Promise.all([...run(a), ...run(b)]);
    await Promise.all([a.close(), b.close()]);

    expect(starts).toHaveLength(20);
    expect(
      maxCallsInAnyWindow(
        [...starts].sort((x, y) => x - y),
        RATE.windowMs,
      ),
    ).toBeLessThanOrEqual(RATE.limit);
    // Each replica alone would have let 10 through at once; shared, the 20 calls took 3+ windows.
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(3 * RATE.windowMs);
  });

  it("replicas with different keys do not slow each other down", async () => {
    // Sharing one budget, these 10 calls would need a second window: over 2 s.
    const slow = { limit: 5, windowMs: 2_000 };
    const [a, b] = [await replica(slow), await replica(slow)];
    const started = Date.now();
    await Promise.all([
      ...Array.from({ length: 5 }, () => a.budgetFor("key-one", "chat").schedule(async () => {})),
      ...Array.from({ length: 5 }, () => b.budgetFor("key-two", "chat").schedule(async () => {})),
    ]);
    await Promise.all([a.close(), b.close()]);
    expect(Date.now() - started).toBeLessThan(slow.windowMs);
  });
});
