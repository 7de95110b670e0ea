// A store call that fails in passing (a dropped Redis connection, a disk hiccup) costs neither a
// conversation nor a start-up. A read that fails while a batch is being answered (after the message
// was taken, before the assistant is asked) must not strand the conversation: the batch is tried
// again once the store answers. A write that fails while the bridge starts is tried again instead of
// ending the process. The store is a real memory store behind a wrapper that fails calls on cue.
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { bridgesClosedAfterEach, parseReply } from "../support/bridge-harness.js";
import { failingStore } from "../support/failing-store.js";
import { TestAdapter } from "../support/test-adapter.js";

describe("a store that fails a call in passing", () => {
  const start = bridgesClosedAfterEach();

  it("still answers the message once the store answers again", async () => {
    const { store, failNext } = failingStore();
    const adapter = new TestAdapter();
    await start({ adapters: [adapter], store });
    await adapter.say({ channel: "D1", text: "first" });
    await adapter.waitForPosts(1);

    failNext("get", 2, "session:");
    await adapter.say({ channel: "D1", text: "second" });
    const replies = (await adapter.waitForPosts(2)).map((p) => parseReply(p.text).message);
    expect(replies).toEqual(["first", "second"]);
  });

  it("starts although the store fails a write or two while it starts", async () => {
    const { store, failNext } = failingStore();
    // A peer on this host whose process is gone: starting releases its lease.
    await store.renewLease(`${hostname()}/999999/dead`, 60_000);
    failNext("renewLease", 1);
    failNext("releaseLease", 1);
    const adapter = new TestAdapter();
    await start({ adapters: [adapter], store });
    await adapter.say({ channel: "D1", text: "hello" });
    expect(parseReply((await adapter.waitForPosts(1))[0]!.text).message).toBe("hello");
  });
});
