// Contact sync memory under a burst: 5,000 new users write at once while the data budget
// (1000/3600s) is spent, so the whole burst waits in ContactSync's backlog. Ours keeps that backlog
// in the store; the figure that matters is how much of it lands on the V8 heap (memory:// keeps it
// in-process by design, sqlite:// should not). The baseline is the obvious design: an in-process
// array of the same 5,000 pending InboundMessage objects. The drainer is not started, standing in
// for a budget with nothing left this hour: every noted user stays pending while we measure.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InboundMessage } from "../../src/adapter.js";
import { createAssistantClient } from "../../src/assistant/index.js";
import { BudgetRegistry } from "../../src/budget/index.js";
import { ContactSync } from "../../src/contacts/contact-sync.js";
import { silentLogger } from "../../src/logger.js";
import { openStore } from "../../src/store/open-store.js";
import { TestAdapter } from "../support/test-adapter.js";
import { type BenchResult, round } from "./table.js";

const USERS = 5_000;
const DATA_RATE = { limit: 1000, windowMs: 3_600_000 };
/** The data API is never reached (the drainer is not started); a closed port makes sure of it. */
const UNREACHABLE_API = "http://127.0.0.1:9/api/v1";

export async function benchContactMemory(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), "bench-contacts-"));
  try {
    // A first, unmeasured burst compiles the code paths, so the rows compare data, not warm-up.
    await noteBurst(`sqlite://${join(dir, "warm-up.sqlite")}`);
    const rows = [
      await noteBurst("memory://"),
      await noteBurst(`sqlite://${join(dir, "bridge.sqlite")}`),
      await keepInArray(),
    ];
    const [memory, sqlite, array] = rows.map((r) => r.heapMb) as [number, number, number];
    const lost = rows.filter((r) => r.pending !== USERS);
    // What stays on the heap with a SQLite backlog is the recent-users map (capped at 10,000
    // entries), not the pending users: it must cost well under the array that holds them all.
    const ok = lost.length === 0 && sqlite < array / 2;
    return {
      title: `Contact sync memory: ${USERS.toLocaleString("en")} new users noted while the data budget is spent`,
      rows: rows.map((r) => ({
        backlog: r.name,
        "heap delta MB": round(r.heapMb, 2),
        "time to note ms": round(r.ms, 0),
        "users pending": r.pending,
      })),
      ok,
      verdict:
        lost.length > 0
          ? `pending count wrong for ${lost.map((r) => r.name).join(", ")} (expected ${USERS})`
          : `sqlite backlog costs ${round(sqlite, 2)} MB of heap vs ${round(array, 2)} MB for the in-process array` +
            ` (memory:// ${round(memory, 2)} MB)${ok ? "" : ": not under half of the array"}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Measured {
  name: string;
  heapMb: number;
  ms: number;
  pending: number;
}

async function noteBurst(storeUrl: string): Promise<Measured> {
  const store = await openStore(storeUrl);
  const budgets = new BudgetRegistry({ store, dataRate: DATA_RATE });
  const sync = new ContactSync({
    store,
    logger: silentLogger(),
    assistantFor: (apiKey) => createAssistantClient({ baseUrl: UNREACHABLE_API, apiKey }),
    dataBudgetFor: (apiKey) => budgets.budgetFor(apiKey, "data"),
    apiKeyFor: () => "bench-key",
    adapters: [new TestAdapter()],
    enabled: true,
    excludeFields: [],
    refreshMs: 7 * 24 * 3_600_000,
  });
  try {
    // Reading the backlog loads the queue cursors, as start() does in the bridge.
    await sync.backlog();
    const before = heapUsed();
    const started = performance.now();
    for (let i = 0; i < USERS; i++) sync.note(message(i));
    await sync.settled();
    const ms = performance.now() - started;
    const heapMb = (heapUsed() - before) / 2 ** 20;
    return { name: `ours, ContactSync on ${store.kind}://`, heapMb, ms, pending: (await sync.backlog()).new };
  } finally {
    await sync.stop();
    await budgets.close();
    await store.close();
  }
}

async function keepInArray(): Promise<Measured> {
  const before = heapUsed();
  const started = performance.now();
  const pending: InboundMessage[] = [];
  for (let i = 0; i < USERS; i++) pending.push(message(i));
  const ms = performance.now() - started;
  const heapMb = (heapUsed() - before) / 2 ** 20;
  return { name: "baseline, in-process array", heapMb, ms, pending: pending.length };
}

function heapUsed(): number {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

function userId(i: number): string {
  return `U${String(i).padStart(6, "0")}`;
}

/** A typical first message from a new user. */
function message(i: number): InboundMessage {
  const conversation = { platform: "console" as const, workspaceId: "W1", channelId: `D${i}` };
  return {
    conversation,
    replyTarget: { conversation, replyToMessageId: `m${i}` },
    author: { id: userId(i), name: `User Number ${i}`, isBot: false },
    text: `Hi! I ordered item #${i} last week and it has not arrived yet. Could you check where it is and when it will get here?`,
    isDirect: true,
    addressesBot: true,
    messageId: `m${i}`,
    sentAt: 1_700_000_000_000 + i,
  };
}
