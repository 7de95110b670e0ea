// Telegram is told a message was received only once the relay has durably taken it. Long polling:
// the getUpdates offset never moves past an update the store has not taken, so Telegram keeps it
// (for a retry, or for the next bridge process). Webhook: a refusal answers 500 and Telegram
// pushes the update again.
import { afterEach, describe, expect, it, vi } from "vitest";
import { TelegramAdapter } from "../../adapters/telegram/adapter.js";
import { createLogger, silentLogger } from "../../src/logger.js";
import type { ApiCallEvent } from "../emulators/telegram/emulator.js";
import { RecordingSink } from "../support/adapter-contract.js";
import { waitForEvent } from "../support/events.js";
import { FlakySink } from "../support/flaky-sink.js";
import { setupTelegram, type TelegramSetup, WEBHOOK_SECRET } from "./harness.js";

let t: TelegramSetup | undefined;
const extra: TelegramAdapter[] = [];

afterEach(async () => {
  for (const adapter of extra.splice(0)) await adapter.stop();
  await t?.close();
  t = undefined;
});

/** Every offset the adapter asked getUpdates with, as the emulator saw them (held polls included). */
function watchOffsets(setup: TelegramSetup): number[] {
  const offsets: number[] = [];
  setup.emulator.on("pollWaiting", (p: { offset: number }) => offsets.push(p.offset));
  setup.emulator.on("call", (c: ApiCallEvent) => {
    if (c.method === "getUpdates") offsets.push(Number(c.params.offset ?? 0));
  });
  return offsets;
}

describe("Telegram long polling confirms only what the store took", () => {
  it("a polled message the store could not take stays at Telegram until stored, and is handed over once, in order", async () => {
    t = await setupTelegram("polling", { acceptRetryBaseMs: 20, busyPollMs: 10 });
    const offsets = watchOffsets(t);
    const sink = new FlakySink(3, "STORE_BUSY");
    let offsetsWhileUnstored: number[] = [];
    const accept = sink.accept.bind(sink);
    sink.accept = async (message) => {
      const outcome = await accept(message);
      if (message.text === "kept while the store is busy") offsetsWhileUnstored = [...offsets];
      return outcome;
    };
    await t.adapter.start(sink);

    t.emulator.userSays(t.dm, t.user, "kept while the store is busy");
    t.emulator.userSays(t.dm, t.user, "sent right after");
    await sink.next((m) => m.text === "sent right after");

    expect(sink.refusals).toBe(3);
    expect(sink.messages.map((m) => m.text)).toEqual(["kept while the store is busy", "sent right after"]);
    // Update 1 is the first message: no offset beyond it until it was stored.
    expect(offsetsWhileUnstored.length).toBeGreaterThan(1);
    expect(Math.max(...offsetsWhileUnstored)).toBeLessThanOrEqual(1);
  });

  it("a message the store refused is not lost when the bridge stops and another process starts", async () => {
    t = await setupTelegram("polling", { acceptRetryBaseMs: 5_000 });
    const down = new FlakySink(1_000, "STORE_UNAVAILABLE");
    await t.adapter.start(down);
    t.emulator.userSays(t.dm, t.user, "sent during the outage");
    await down.refused();
    await vi.waitFor(() => expect(t?.adapter.isReady()).toBe(false));
    await t.adapter.stop();

    const next = new TelegramAdapter({
      token: t.emulator.token,
      apiRoot: t.emulator.apiRoot,
      logger: silentLogger(),
      pollTimeoutSeconds: 5,
    });
    extra.push(next);
    const sink = new RecordingSink();
    await next.start(sink);
    const message = await sink.next((m) => m.text === "sent during the outage");
    expect(message.isDirect).toBe(true);
    expect(down.messages).toHaveLength(0);
  });

  it("reports not ready while retrying a message, and ready again once the store takes it", async () => {
    t = await setupTelegram("polling", { acceptRetryBaseMs: 500, busyPollMs: 10 });
    const sink = new FlakySink(1);
    await t.adapter.start(sink);
    t.emulator.userSays(t.dm, t.user, "one refusal");
    await sink.refused();
    await vi.waitFor(() => expect(t?.adapter.isReady()).toBe(false));
    await sink.next((m) => m.text === "one refusal");
    await vi.waitFor(() => expect(t?.adapter.isReady()).toBe(true));
  });

  it("gives up, with a log line, on a message that fails for a reason other than the store, so its chat moves on", async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "info", destination: { write: (l: string) => lines.push(l) } });
    t = await setupTelegram("polling", { acceptRetryBaseMs: 0, busyPollMs: 10, logger });
    const sink = new RecordingSink();
    const accept = sink.accept.bind(sink);
    let poisonAttempts = 0;
    sink.accept = async (message) => {
      if (message.text === "poison") {
        poisonAttempts++;
        throw new TypeError("a bug, not the store");
      }
      return accept(message);
    };
    await t.adapter.start(sink);
    t.emulator.userSays(t.dm, t.user, "poison");
    t.emulator.userSays(t.dm, t.user, "after the poison");
    await sink.next((m) => m.text === "after the poison");
    expect(poisonAttempts).toBe(16);
    expect(lines.filter((l) => l.includes("gave up"))).toHaveLength(1);
    expect(lines.join("\n")).not.toContain(t.emulator.token);
  });

  it("stop() waits for a message that is being handed to the store", async () => {
    t = await setupTelegram("polling");
    const sink = new RecordingSink();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let taking!: () => void;
    const reached = new Promise<void>((resolve) => {
      taking = resolve;
    });
    const accept = sink.accept.bind(sink);
    const order: string[] = [];
    sink.accept = async (message) => {
      taking();
      await gate;
      const outcome = await accept(message);
      order.push("stored");
      return outcome;
    };
    await t.adapter.start(sink);
    t.emulator.userSays(t.dm, t.user, "in flight at shutdown");
    await reached;

    const stopping = t.adapter.stop().then(() => order.push("stopped"));
    // One full round trip to Telegram: time enough for a stop() that does not wait to finish.
    await fetch(`${t.emulator.apiRoot}/bot${t.emulator.token}/getMe`, { method: "POST" });
    expect(order).toEqual([]);
    release();
    await stopping;
    expect(order).toEqual(["stored", "stopped"]);
  });

  it("keeps polling after a 429 on getUpdates, waiting out retry_after", async () => {
    t = await setupTelegram("polling");
    const sink = new RecordingSink();
    t.emulator.floodNext("getUpdates", 1, 1);
    await t.adapter.start(sink);
    t.emulator.userSays(t.dm, t.user, "after the flood wait");
    await sink.next((m) => m.text === "after the flood wait");
    expect(t.emulator.calls.some((c) => c.method === "getUpdates" && c.status === 429)).toBe(true);
  });

  it("stops polling and reports not ready when another bot instance polls the same token (409)", async () => {
    t = await setupTelegram("polling");
    await t.adapter.start(new RecordingSink());
    await waitForEvent(t.emulator, "pollWaiting");
    await fetch(`${t.emulator.apiRoot}/bot${t.emulator.token}/getUpdates`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ timeout: 0 }),
    });
    await vi.waitFor(() => expect(t?.adapter.isReady()).toBe(false));
  });

  it("stops polling and reports not ready when Telegram rejects the token (401)", async () => {
    t = await setupTelegram("polling");
    await t.adapter.start(new RecordingSink());
    t.emulator.failNext("getUpdates", 401, "Unauthorized");
    const calls = t.emulator.calls.length;
    t.emulator.userSays(t.dm, t.user, "ends the held poll");
    await vi.waitFor(() => expect(t?.adapter.isReady()).toBe(false));
    expect(t.emulator.calls.slice(calls).filter((c) => c.status === 401)).toHaveLength(1);
  });
});

describe("Telegram webhook answers a refused update with an error", () => {
  it("a webhook update the store could not take gets a 500 and Telegram's retry is handed over once", async () => {
    t = await setupTelegram("webhook");
    const sink = new FlakySink(1, "STORE_TIMEOUT");
    await t.adapter.start(sink);
    const deliveries: Array<{ status: number }> = [];
    t.emulator.on("webhookDelivery", (d: { status: number }) => deliveries.push(d));

    t.emulator.userSays(t.dm, t.user, "pushed while the store is slow");
    await sink.next((m) => m.text === "pushed while the store is slow");
    await vi.waitFor(() => expect(deliveries.at(-1)?.status).toBe(200));

    expect(deliveries.map((d) => d.status)).toEqual([500, 200]);
    expect(sink.messages.map((m) => m.text)).toEqual(["pushed while the store is slow"]);
  });

  it("the 500 for a refused update shows no stack trace or message text", async () => {
    t = await setupTelegram("webhook");
    await t.adapter.start(new FlakySink(1));
    const response = await fetch(t.webhookUrl!, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": WEBHOOK_SECRET },
      body: JSON.stringify({
        update_id: 500,
        message: {
          message_id: 9,
          date: Math.floor(Date.now() / 1000),
          chat: { id: t.dm.id, type: "private", first_name: "Ada" },
          from: { id: t.user.id, is_bot: false, first_name: "Ada" },
          text: "private words",
        },
      }),
    });
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body).not.toContain("private words");
    expect(body).not.toMatch(/StoreError|at .+\.ts/);
  });
});
