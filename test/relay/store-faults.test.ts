// What users and operators see when the store fails under a running bridge: a message the store
// cannot take is refused (so the platform redelivers it) and then answered once; /readyz says so
// within a second and recovers by itself; webhook events are stored before they are acknowledged.
// Real faults only: another connection holding SQLite's write lock, a redis-server stopped and
// started again on the same port.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { bridgesClosedAfterEach, parseReply, startWebhookConversation } from "../support/bridge-harness.js";
import { type RedisServer, skipWithoutRedis, startRedis } from "../support/redis.js";
import { TestAdapter } from "../support/test-adapter.js";

const dirs: string[] = [];
function sqliteUrl(): { url: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "store-faults-"));
  dirs.push(dir);
  const file = join(dir, "bridge.sqlite");
  return { url: `sqlite://${file}`, file };
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A logger whose JSON lines the test can read. */
function recordingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ level: "info", destination }), lines };
}

/** Holds SQLite's write lock from another connection, as a second process would. */
function holdWriteLock(file: string): () => void {
  const other = new Database(file);
  other.exec("BEGIN IMMEDIATE");
  return () => {
    other.exec("ROLLBACK");
    other.close();
  };
}

describe("a store that fails under a running bridge", () => {
  const start = bridgesClosedAfterEach();

  const agentConversation = (url: string) => startWebhookConversation(start, { env: { STORE_URL: url } });

  it("refuses a message while another process holds the SQLite write lock, and answers its redelivery once", async () => {
    const { url, file } = sqliteUrl();
    const adapter = new TestAdapter();
    await start({ adapters: [adapter], env: { STORE_URL: url } });
    const release = holdWriteLock(file);
    await expect(
      adapter.say({ channel: "D1", text: "sent while locked", messageId: "locked-1" }),
    ).rejects.toMatchObject({ code: "STORE_BUSY" });
    release();

    expect(
      await adapter.say({ channel: "D1", text: "sent while locked", messageId: "locked-1" }),
    ).toMatchObject({
      status: "queued",
    });
    expect(await adapter.say({ channel: "D1", text: "sent while locked", messageId: "locked-1" })).toEqual({
      status: "duplicate",
    });
    await adapter.say({ channel: "D1", text: "next one" });
    const replies = (await adapter.waitForPosts(2)).map((p) => parseReply(p.text).message);
    expect(replies).toEqual(["sent while locked", "next one"]);
  });

  it("posts an agent's webhook event only once however many deliveries race for it", async () => {
    const { url } = sqliteUrl();
    const { adapter, t, sessionId, hook } = await agentConversation(url);
    for (let trial = 0; trial < 20; trial++) {
      const event = t.assistant.makeMessageEvent(sessionId, "agent", `agent says ${trial}`);
      const statuses = await Promise.all([
        t.assistant.sendWebhook(hook, event),
        t.assistant.sendWebhook(hook, event),
        t.assistant.sendWebhook(hook, event),
      ]);
      expect(statuses.map((s) => s.status).sort()).toEqual([200, 200, 202]);
    }
    await t.bridge.webhooks?.drain();
    for (let trial = 0; trial < 20; trial++) {
      expect(adapter.posted.filter((p) => p.text === `agent says ${trial}`)).toHaveLength(1);
    }
  });

  it("answers a webhook event 503 while the store cannot take it, so the vendor delivers it again", async () => {
    const { url, file } = sqliteUrl();
    const { adapter, t, sessionId, hook } = await agentConversation(url);
    const event = t.assistant.makeMessageEvent(sessionId, "agent", "stored later");
    const release = holdWriteLock(file);
    expect((await t.assistant.sendWebhook(hook, event)).status).toBe(503);
    release();
    expect((await t.assistant.sendWebhook(hook, event)).status).toBe(202);
    await adapter.waitForPosts(1, (p) => p.text === "stored later");
  });

  it("posts after the next start an agent's message stored before a stop", async () => {
    const { url } = sqliteUrl();
    const adapter = new TestAdapter();
    const env = { STORE_URL: url, MYGPT_WEBHOOK_SECRET: "whsec-test" };
    const first = await start({
      adapters: [adapter],
      http: true,
      env,
      emulator: { webhookSecret: "whsec-test" },
    });
    await adapter.say({ channel: "C1", thread: "t1", text: "I need a human" });
    const sessionId = parseReply((await adapter.waitForPosts(1))[0]!.text).sessionId;
    // The chat platform is failing, so the event is still waiting when the bridge stops.
    adapter.failNextSends(1000, true);
    const event = first.assistant.makeMessageEvent(sessionId, "agent", "kept across the restart");
    expect((await first.assistant.sendWebhook(`${first.bridge.url}/webhooks/mygpt`, event)).status).toBe(202);
    await first.stopBridge();
    expect(adapter.posted.filter((p) => p.text === "kept across the restart")).toHaveLength(0);

    adapter.clearFailures();
    await start({ adapters: [adapter], http: true, env, assistant: first.assistant });
    await adapter.waitForPosts(1, (p) => p.text === "kept across the restart");
  });
});

describe.skipIf(skipWithoutRedis())("a Redis store that goes away and comes back", () => {
  const start = bridgesClosedAfterEach();
  let redis: RedisServer | undefined;
  afterEach(async () => {
    await redis?.stop();
    redis = undefined;
  });

  it("reports not ready within a second while Redis is down, refuses messages quickly, and recovers by itself", async () => {
    redis = await startRedis();
    const adapter = new TestAdapter();
    const { logger, lines } = recordingLogger();
    const t = await start({ adapters: [adapter], http: true, env: { STORE_URL: redis.url }, logger });
    const readyz = async () => {
      const started = Date.now();
      const response = await fetch(`${t.bridge.url}/readyz`);
      return { status: response.status, body: await response.text(), ms: Date.now() - started };
    };
    expect((await readyz()).status).toBe(200);

    await redis.down();
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body).toContain("store");
    expect(down.ms).toBeLessThan(1000);
    const refusedAt = Date.now();
    await expect(
      adapter.say({ channel: "D1", text: "during the outage", messageId: "out-1" }),
    ).rejects.toMatchObject({
      name: "StoreError",
    });
    expect(Date.now() - refusedAt).toBeLessThan(3000);
    expect((await readyz()).status).toBe(503);

    await redis.up();
    await expect.poll(async () => (await readyz()).status, { timeout: 10_000 }).toBe(200);
    await adapter.say({ channel: "D1", text: "during the outage", messageId: "out-1" });
    expect(parseReply((await adapter.waitForPosts(1))[0]!.text).message).toBe("during the outage");

    const said = (msg: string) => lines.filter((l) => l.msg === msg).length;
    expect(said("the store is not answering: intake is refused until it is back")).toBe(1);
    expect(said("the store answers again")).toBe(1);
  });
});
