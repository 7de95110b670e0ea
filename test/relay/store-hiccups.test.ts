// A store read that fails while a batch is already being answered (the store dropped between taking
// the message and asking the assistant) must not strand the conversation: the batch is tried again
// once the store answers, and the user gets their reply. The store is a real memory store behind a
// wrapper that fails chosen reads on cue, as a dropped Redis connection does.
import { describe, expect, it } from "vitest";
import { StoreError } from "../../src/errors.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import type { Store } from "../../src/store/types.js";
import { bridgesClosedAfterEach, parseReply } from "../support/bridge-harness.js";
import { TestAdapter } from "../support/test-adapter.js";

/** A memory store whose next `count` reads of keys starting with `prefix` fail as an outage would. */
function storeFailingReads(): { store: Store; failNextReads: (prefix: string, count: number) => void } {
  const inner = new MemoryStore();
  let failing: { prefix: string; left: number } | undefined;
  const store = new Proxy(inner, {
    get(target, prop) {
      if (prop === "get") {
        return async (key: string) => {
          if (failing && failing.left > 0 && key.startsWith(failing.prefix)) {
            failing.left--;
            throw new StoreError("STORE_UNAVAILABLE", "the store cannot be reached");
          }
          return target.get(key);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { store, failNextReads: (prefix, count) => (failing = { prefix, left: count }) };
}

describe("a store read that fails while a message is being answered", () => {
  const start = bridgesClosedAfterEach();

  it("still answers the message once the store answers again", async () => {
    const { store, failNextReads } = storeFailingReads();
    const adapter = new TestAdapter();
    await start({ adapters: [adapter], store });
    await adapter.say({ channel: "D1", text: "first" });
    await adapter.waitForPosts(1);

    failNextReads("session:", 2);
    await adapter.say({ channel: "D1", text: "second" });
    const replies = (await adapter.waitForPosts(2)).map((p) => parseReply(p.text).message);
    expect(replies).toEqual(["first", "second"]);
  });
});
