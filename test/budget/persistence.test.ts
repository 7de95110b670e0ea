// The window log outlives the process: a restarted bridge on the same store does not spend the same
// window twice, and the store holds only a hash of the API key.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { BudgetRegistry, budgetId } from "../../src/budget/index.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/types.js";

const API_KEY = "sk-live-persist-0a1b2c3d4e";
const RATE = { limit: 10, windowMs: 60_000 };

let dir: string;
let file: string;
const opened: Store[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "budget-"));
  file = join(dir, "bridge.sqlite");
});
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(): Promise<Store> {
  const store = await openStore(`sqlite://${file}`);
  opened.push(store);
  return store;
}

async function spend(registry: BudgetRegistry, count: number) {
  const budget = registry.budgetFor(API_KEY, "chat");
  await Promise.all(Array.from({ length: count }, () => budget.schedule(async () => {})));
}

it("after a restart on the same SQLite store, the calls already made still fill the window", async () => {
  const before = new BudgetRegistry({ store: await open(), chatRate: RATE });
  await spend(before, 10);
  expect(before.budgetFor(API_KEY, "chat").snapshot().remaining).toBe(0);
  await before.close();
  await opened[0]!.close();
  opened.length = 0;

  const after = new BudgetRegistry({ store: await open(), chatRate: RATE });
  const budget = after.budgetFor(API_KEY, "chat");
  await budget.load();
  expect(budget.snapshot().remaining).toBe(0);
  expect(budget.estimateWaitMs(0)).toBeGreaterThan(55_000);
  // Another key, and the data budget of the same key, are untouched.
  expect(after.budgetFor("another-key", "chat").snapshot().remaining).toBe(10);
  const data = after.budgetFor(API_KEY, "data");
  await data.load();
  expect(data.snapshot().remaining).toBe(1000);
});

it("a restarted budget holds a new call back until the old window frees", async () => {
  const before = new BudgetRegistry({ store: await open(), chatRate: { limit: 3, windowMs: 400 } });
  const spentFrom = Date.now();
  await spend(before, 3);
  await before.close();
  const after = new BudgetRegistry({ store: await open(), chatRate: { limit: 3, windowMs: 400 } });
  let startedAt = 0;
  await after.budgetFor(API_KEY, "chat").schedule(async () => {
    startedAt = Date.now();
  });
  // Without the saved log it would start at once; with it, only when the first call leaves the window.
  expect(startedAt - spentFrom).toBeGreaterThanOrEqual(400);
});

it("the store names the budget by a hash, never by the API key", async () => {
  const registry = new BudgetRegistry({ store: await open(), chatRate: RATE });
  await spend(registry, 1);
  // In WAL mode recent writes live in the -wal file beside the database until a checkpoint.
  const bytes = [file, `${file}-wal`]
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f).toString("latin1"))
    .join("");
  expect(bytes).toContain(budgetId(`chat:${API_KEY}`));
  expect(bytes).not.toContain(API_KEY);
});

it("on a memory store, a second budget object for the same key starts from the first one's log", async () => {
  const store = await openStore("memory://");
  await spend(new BudgetRegistry({ store, chatRate: RATE }), 4);
  const fresh = new BudgetRegistry({ store, chatRate: RATE }).budgetFor(API_KEY, "chat");
  await fresh.load();
  expect(fresh.snapshot().remaining).toBe(6);
});
