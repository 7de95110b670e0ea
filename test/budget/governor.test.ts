// The budget and the client together against the emulator at a scaled limit (10 calls per second):
// overload is paced so the server never refuses, and a server-ordered pause is honoured.
import { afterEach, beforeEach, expect, it } from "vitest";
import { createAssistantClient } from "../../src/assistant/index.js";
import { BudgetRegistry } from "../../src/budget/index.js";
import { type AssistantEmulator, startAssistantEmulator } from "../emulators/assistant/index.js";

const RATE = { limit: 10, windowMs: 1_000 };

let emulator: AssistantEmulator;
let registry: BudgetRegistry;
beforeEach(async () => {
  emulator = await startAssistantEmulator({ chatLimit: RATE });
  registry = new BudgetRegistry({ chatRate: RATE, chatConcurrency: 20 });
});
afterEach(async () => {
  await registry.close();
  await emulator.close();
});

/** A client wired to the registry as the bridge wires it; `refused` settles when it sees a 429. */
async function governedChat() {
  const hooks = registry.clientHooks(emulator.apiKey);
  let sawRefusal: () => void = () => {};
  const refused = new Promise<void>((resolve) => {
    sawRefusal = resolve;
  });
  const api = createAssistantClient({
    baseUrl: emulator.url,
    apiKey: emulator.apiKey,
    backoffBaseMs: 10,
    ...hooks,
    onRateLimit: (info, area) => {
      hooks.onRateLimit(info, area);
      if (info.retryAfterMs !== undefined) sawRefusal();
    },
  });
  // The first fetch of a process loads its HTTP stack (100+ ms), far more than the safety margin of
  // a window scaled down to one second; warm it on the data endpoint, which has its own limit.
  await api.findContactByExternalId("warm-up");
  const budget = registry.budgetFor(emulator.apiKey, "chat");
  const chat = (message: string, sessionId: string) =>
    budget.schedule(() => api.chat({ botId: emulator.botId, message, sessionId }));
  return { chat, refused };
}

const chatRequests = () => emulator.requests.filter((r) => r.kind === "chat");

it("50 messages at once over a 10-per-second budget are all answered with zero 429s", async () => {
  const { chat } = await governedChat();
  const replies = await Promise.all(
    Array.from({ length: 50 }, (_, i) => chat(`message ${i}`, `s-${i}`).then((r) => r.response)),
  );

  expect(replies).toEqual(Array.from({ length: 50 }, (_, i) => `[session s-${i} turn 1] message ${i}`));
  expect(chatRequests().filter((r) => r.status === 429)).toEqual([]);
  expect(chatRequests()).toHaveLength(50);
  expect(emulator.maxChatCallsInAnyWindow()).toBeLessThanOrEqual(RATE.limit);
});

it("after a 429 the budget holds every call until the server's time, then the message is answered", async () => {
  const { chat, refused } = await governedChat();
  emulator.injectFaults({ kind: "error", code: "RATE_LIMIT_EXCEEDED", retryAfterSeconds: 1 });
  const first = chat("first", "s-1");
  await refused;
  const refusedAt = chatRequests()[0]!.at;
  expect(registry.budgetFor(emulator.apiKey, "chat").snapshot().pausedUntil).toBeGreaterThanOrEqual(
    refusedAt + 1_000,
  );
  const second = chat("second", "s-2");

  expect((await first).response).toBe("[session s-1 turn 1] first");
  expect((await second).response).toBe("[session s-2 turn 1] second");
  const answered = chatRequests().filter((r) => r.status === 200);
  expect(answered).toHaveLength(2);
  for (const request of answered) expect(request.at).toBeGreaterThanOrEqual(refusedAt + 1_000);
  expect(chatRequests().map((r) => r.status)).toEqual([429, 200, 200]);
});

it("two bots on one key share its budget; another key has its own", () => {
  const a = registry.budgetFor("key-a", "chat");
  expect(registry.budgetFor("key-a", "chat")).toBe(a);
  expect(registry.budgetFor("key-b", "chat")).not.toBe(a);
  expect(registry.budgetFor("key-a", "data")).not.toBe(a);
  expect(registry.budgetFor("key-a", "data").snapshot()).toMatchObject({ limit: 1000, windowMs: 3_600_000 });
  expect(registry.snapshots().map((s) => s.kind)).toEqual(["chat", "chat", "data"]);
  expect(JSON.stringify(registry.snapshots())).not.toContain("key-a");
});
