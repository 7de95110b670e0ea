// Two bridge processes on one Redis store, as in a rolling deploy: the new one starts while the old
// one is still answering. Every message is answered exactly once, by one of them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAssistantEmulator } from "../emulators/assistant/index.js";
import { parseReply, startTestBridge } from "../support/bridge-harness.js";
import { waitForEvent } from "../support/events.js";
import { type RedisServer, skipWithoutRedis, startRedis } from "../support/redis.js";
import { TestAdapter } from "../support/test-adapter.js";

describe.skipIf(skipWithoutRedis())("a rolling deploy on a shared Redis store", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it("leaves the old process's work to it until it stops, then answers the rest, nothing twice", async () => {
    const assistant = await startAssistantEmulator();
    const env = { STORE_URL: redis.url };
    const yaml = "relay:\n  concurrency: 1\n  mergeQueuedMessages: false\n";
    const oldAdapter = new TestAdapter();
    const old = await startTestBridge({ adapters: [oldAdapter], env, assistant, yaml });
    const newAdapter = new TestAdapter();
    try {
      assistant.injectFaults({ kind: "slow", delayMs: 500 });
      const inFlight = waitForEvent(assistant, "received");
      for (let i = 0; i < 4; i++) await oldAdapter.say({ channel: `c${i}`, text: `question ${i}` });
      await inFlight;

      const fresh = await startTestBridge({ adapters: [newAdapter], env, assistant, yaml });
      try {
        await newAdapter.say({ channel: "new", text: "asked of the new process" });
        await oldAdapter.say({ channel: "late", text: "asked of the old process during the overlap" });
        await old.stopBridge();
        await fresh.bridge.relay.adoptOrphans();
        await fresh.bridge.relay.whenIdle();
      } finally {
        await fresh.close();
      }

      const answered = [...oldAdapter.posted, ...newAdapter.posted]
        .filter((p) => p.text.startsWith("[session"))
        .map((p) => parseReply(p.text).message)
        .sort();
      const asked = assistant.requests
        .filter((r) => r.kind === "chat")
        .map((r) => (r.body as { message: string }).message)
        .sort();
      const expected = [
        "asked of the new process",
        "asked of the old process during the overlap",
        "question 0",
        "question 1",
        "question 2",
        "question 3",
      ];
      expect(answered).toEqual(expected);
      expect(asked).toEqual(expected);
      // The old process answered what it had in flight (and perhaps more) before it stopped; the new
      // one answered the rest. Nothing was answered by both (above).
      expect(oldAdapter.posted.map((p) => parseReply(p.text).message)[0]).toBe("question 0");
      expect(newAdapter.posted.length).toBeGreaterThan(0);
    } finally {
      await old.close();
      await assistant.close();
    }
  });
});
