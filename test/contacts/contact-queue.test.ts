// The contact backlog itself: many users noted at once, before the queue was ever read, are all
// kept (none lost to a race), each once, and a reopened SQLite store still has them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { InboundMessage } from "../../src/adapter.js";
import { createCallBudget } from "../../src/budget/index.js";
import { ContactSync } from "../../src/contacts/contact-sync.js";
import { silentLogger } from "../../src/logger.js";
import { openStore } from "../../src/store/open-store.js";
import { failingStore } from "../support/failing-store.js";
import { TestAdapter } from "../support/test-adapter.js";

function from(user: string): InboundMessage {
  const conversation = { platform: "console" as const, workspaceId: "W1", channelId: `D-${user}` };
  return {
    conversation,
    replyTarget: { conversation },
    author: { id: user, isBot: false },
    text: "hi",
    isDirect: true,
    addressesBot: true,
    messageId: `m-${user}`,
    sentAt: 1,
  };
}

function contactSync(store: Awaited<ReturnType<typeof openStore>>) {
  return new ContactSync({
    store,
    logger: silentLogger(),
    assistantFor: () => {
      throw new Error("the budget is spent: nothing is synced in this test");
    },
    dataBudgetFor: () => {
      throw new Error("the budget is spent: nothing is synced in this test");
    },
    apiKeyFor: () => "key",
    adapters: [new TestAdapter()],
    enabled: true,
    excludeFields: [],
    refreshMs: 60_000,
  });
}

describe("the contact backlog", () => {
  it("keeps every one of many users noted at once, each once, across a reopen", async () => {
    const dir = mkdtempSync(join(tmpdir(), "contact-queue-"));
    const url = `sqlite://${join(dir, "bridge.sqlite")}`;
    try {
      const store = await openStore(url);
      const sync = contactSync(store);
      for (let i = 0; i < 200; i++) sync.note(from(`U${i}`));
      for (let i = 0; i < 200; i++) sync.note(from(`U${i}`));
      await sync.settled();
      expect(await sync.backlog()).toEqual({ new: 200, refresh: 0 });
      await store.close();

      const reopened = await openStore(url);
      expect(await contactSync(reopened).backlog()).toEqual({ new: 200, refresh: 0 });
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a growing backlog is counted in the store once, not again for every new user", async () => {
    const { store, calls } = failingStore();
    const etas: number[] = [];
    const sync = new ContactSync({
      store,
      logger: silentLogger(),
      assistantFor: () => {
        throw new Error("nothing is synced in this test");
      },
      dataBudgetFor: () => createCallBudget({ rate: { limit: 10, windowMs: 3_600_000 }, key: "data" }),
      apiKeyFor: () => "key",
      adapters: [new TestAdapter()],
      enabled: true,
      excludeFields: [],
      refreshMs: 60_000,
      onBacklogEta: (ms) => etas.push(ms),
    });
    for (let i = 0; i < 200; i++) sync.note(from(`U${i}`));
    await sync.settled();
    expect(calls.filter((c) => c.method === "queueSize")).toHaveLength(2);
    // Reported on every new user all the same, from the running count: 200 waiting at 10 an hour,
    // the last ten start in the 20th hour.
    expect(etas).toHaveLength(200);
    expect(Math.round(etas.at(-1)! / 3_600_000)).toBe(19);
    expect(sync.backlogStatus().waiting).toBe(200);
  });
});
