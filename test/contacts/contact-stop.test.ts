// Stopping contact sync while a sync waits for the data budget: the user stays in the stored backlog
// for the next start, and the stop does not wait for the budget.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { InboundMessage } from "../../src/adapter.js";
import type { AssistantApi } from "../../src/assistant/types.js";
import type { CallBudget } from "../../src/budget/types.js";
import { ContactSync } from "../../src/contacts/contact-sync.js";
import { silentLogger } from "../../src/logger.js";
import { openStore } from "../../src/store/open-store.js";
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

/** A data budget that is spent: every call waits; `asked` resolves when the first one is queued. */
function spentBudget(): CallBudget & { asked: Promise<void> } {
  let tell: () => void = () => {};
  const asked = new Promise<void>((resolve) => {
    tell = resolve;
  });
  return {
    asked,
    schedule: () => {
      tell();
      return new Promise<never>(() => {});
    },
    pauseUntil: () => {},
    snapshot: () => ({ limit: 1, windowMs: 60_000, remaining: 0, waiting: 1 }),
    estimateWaitMs: () => 60_000,
  };
}

describe("stopping contact sync", () => {
  it("leaves a user whose sync waits for the data budget in the backlog for the next start", async () => {
    const dir = mkdtempSync(join(tmpdir(), "contact-stop-"));
    const store = await openStore(`sqlite://${join(dir, "bridge.sqlite")}`);
    try {
      const budget = spentBudget();
      const sync = new ContactSync({
        store,
        logger: silentLogger(),
        assistantFor: () => ({}) as AssistantApi,
        dataBudgetFor: () => budget,
        apiKeyFor: () => "key",
        adapters: [new TestAdapter()],
        enabled: true,
        excludeFields: [],
        refreshMs: 60_000,
      });
      sync.start();
      sync.note(from("U1"));
      await budget.asked;
      await sync.stop();
      expect(await sync.backlog()).toEqual({ new: 1, refresh: 0 });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
