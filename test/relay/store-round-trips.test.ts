// What answering a message costs in store round trips: the store is most of the bridge's cost per
// message, so the count is held here. A follow-up in a known conversation takes: queueing it with
// its dedup claim (1), reading the session (1), the budget slot taken and finished (2), the reply kept
// together with the session's turn (1), and marking it answered (1).
import { describe, expect, it } from "vitest";
import { bridgesClosedAfterEach, parseReply } from "../support/bridge-harness.js";
import { failingStore } from "../support/failing-store.js";
import { TestAdapter } from "../support/test-adapter.js";

const PER_FOLLOW_UP = 6;

describe("store round trips per message", () => {
  const start = bridgesClosedAfterEach();

  it(`a follow-up in a known conversation is answered in ${PER_FOLLOW_UP} store round trips`, async () => {
    const { store, calls } = failingStore();
    const adapter = new TestAdapter();
    // Contact sync off: it runs beside the message, on its own queue and budget.
    const { bridge } = await start({ adapters: [adapter], store, yaml: "contacts:\n  enabled: false\n" });
    await adapter.say({ channel: "D1", text: "first" });
    await adapter.waitForPosts(1);
    await bridge.relay.whenIdle();

    const before = calls.length;
    await adapter.say({ channel: "D1", text: "second" });
    expect(parseReply((await adapter.waitForPosts(2))[1]!.text).message).toBe("second");
    await bridge.relay.whenIdle();
    // Leaving out the lease's timers, which run beside the message.
    const made = calls.slice(before).filter((c) => !["renewLease", "listLeases", "claim"].includes(c.method));
    expect(made.map((c) => c.method)).toHaveLength(PER_FOLLOW_UP);
  });
});
