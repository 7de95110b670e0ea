// Posting a reply has one retry layer in the relay (above the SDK's own): a chunk the platform
// keeps failing is tried a bounded number of times and then given up, instead of the batch being
// retried again around those retries (which multiplied the attempts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULTS } from "../../src/defaults.js";
import { bridgesClosedAfterEach, parseReply, startWebhookConversation } from "../support/bridge-harness.js";
import { TestAdapter } from "../support/test-adapter.js";

describe("posting a reply the platform keeps failing", () => {
  const start = bridgesClosedAfterEach();
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("posts it once when the platform recovers before the last attempt", async () => {
    const adapter = new TestAdapter();
    await start({ adapters: [adapter] });
    adapter.failNextSends(DEFAULTS.deliveryMaxAttempts - 1, true);
    await adapter.say({ channel: "D1", text: "still there?" });
    const [reply] = await adapter.waitForPosts(1);
    expect(parseReply(reply!.text).message).toBe("still there?");
    expect(adapter.sendAttempts).toBe(DEFAULTS.deliveryMaxAttempts);
  });

  it("gives the reply up after the bounded attempts, without retrying the whole batch around them", async () => {
    const adapter = new TestAdapter();
    const t = await start({ adapters: [adapter] });
    adapter.failNextSends(1000, true);
    await adapter.say({ channel: "D1", text: "nobody hears this" });
    await t.bridge.relay.whenIdle();
    expect(adapter.posted).toHaveLength(0);
    expect(adapter.sendAttempts).toBe(DEFAULTS.deliveryMaxAttempts);

    adapter.clearFailures();
    await adapter.say({ channel: "D1", text: "and this?" });
    const [reply] = await adapter.waitForPosts(1);
    expect(parseReply(reply!.text).message).toBe("and this?");
  });

  it("keeps a reply whose posting a stop cut short, and posts it after the next start", async () => {
    const dir = mkdtempSync(join(tmpdir(), "delivery-retries-"));
    dirs.push(dir);
    const env = { STORE_URL: `sqlite://${join(dir, "bridge.sqlite")}` };
    const adapter = new TestAdapter();
    const first = await start({ adapters: [adapter], env });
    // The platform asks for a minute's pause: the stop comes first.
    adapter.failNextSends(1000, true, 60_000);
    await adapter.say({ channel: "D1", text: "across a restart" });
    await expect.poll(() => adapter.sendAttempts).toBe(1);
    await first.stopBridge();
    expect(adapter.posted).toHaveLength(0);

    adapter.clearFailures();
    await start({ adapters: [adapter], env, assistant: first.assistant });
    const [reply] = await adapter.waitForPosts(1);
    expect(parseReply(reply!.text).message).toBe("across a restart");
  });
});

describe("one retry layer per failure", () => {
  const start = bridgesClosedAfterEach();

  it("apologises once the assistant client's own retries are spent, without asking again", async () => {
    const adapter = new TestAdapter();
    const t = await start({ adapters: [adapter] });
    t.assistant.injectFaults(
      ...Array.from({ length: 20 }, () => ({ kind: "error" as const, code: "INTERNAL_ERROR" as const })),
    );
    await adapter.say({ channel: "D1", text: "anyone home?" });
    const [apology] = await adapter.waitForPosts(1, () => true, 30_000);
    expect(apology!.text).toMatch(/^Sorry/);
    await t.bridge.relay.whenIdle();
    expect(t.assistant.requests.filter((r) => r.kind === "chat")).toHaveLength(DEFAULTS.assistantMaxAttempts);
  });

  it("gives up an agent's message the platform keeps refusing after the delivery's own attempts", async () => {
    const { adapter, t, sessionId, hook } = await startWebhookConversation(start);
    adapter.failNextSends(1000, true);
    const before = adapter.sendAttempts;
    const event = t.assistant.makeMessageEvent(sessionId, "agent", "never gets through");
    expect((await t.assistant.sendWebhook(hook, event)).status).toBe(202);
    await t.bridge.webhooks?.drain();
    expect(adapter.sendAttempts - before).toBe(DEFAULTS.deliveryMaxAttempts);

    adapter.clearFailures();
    const next = t.assistant.makeMessageEvent(sessionId, "agent", "this one does");
    expect((await t.assistant.sendWebhook(hook, next)).status).toBe(202);
    await adapter.waitForPosts(1, (p) => p.text === "this one does");
  });
});
