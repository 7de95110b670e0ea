// Slack is acknowledged only once the relay has durably taken a message: in Socket Mode the envelope
// ack waits for the store, and an event the store refused is left unacknowledged so Slack sends it
// again; over HTTP the refusal answers 5xx, which Slack retries.
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import type { AckEvent, EnvelopeEvent } from "../emulators/slack/emulator.js";
import { RecordingSink } from "../support/adapter-contract.js";
import { FlakySink } from "../support/flaky-sink.js";
import { type SlackSetup, setupSlack } from "./harness.js";

let setup: SlackSetup | undefined;

afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

describe("Slack Socket Mode acknowledges only what the store took", () => {
  it("a Socket Mode event the store could not take is redelivered and handed over once", async () => {
    setup = await setupSlack("socket");
    const { emulator, user, dm, adapter } = setup;
    emulator.redeliverUnackedMs = 50;
    const sink = new FlakySink(2, "STORE_BUSY");
    await adapter.start(sink);
    const attemptsAtAck: number[] = [];
    emulator.on("ack", () => attemptsAtAck.push(sink.attempts.length));
    const deliveries: EnvelopeEvent[] = [];
    emulator.on("envelope", (e: EnvelopeEvent) => deliveries.push(e));

    const { results } = await emulator.userSays(user, dm, "kept through a busy store");
    const envelopeId = results[0]?.envelopeId as string;
    await sink.next((m) => m.text === "kept through a busy store");
    await emulator.waitForAck(envelopeId);

    expect(sink.refusals).toBe(2);
    expect(sink.messages.filter((m) => m.text === "kept through a busy store")).toHaveLength(1);
    expect(deliveries.filter((d) => d.envelopeId === envelopeId).map((d) => d.retryAttempt)).toEqual([
      0, 1, 2,
    ]);
    expect(attemptsAtAck).toEqual([3]);
  });

  it("acknowledges a Socket Mode event only after the relay has stored it", async () => {
    setup = await setupSlack("socket");
    const { emulator, user, dm, adapter } = setup;
    let release!: () => void;
    const stored = new Promise<void>((resolve) => {
      release = resolve;
    });
    const sink = new RecordingSink();
    const accept = sink.accept.bind(sink);
    let storing!: () => void;
    const reached = new Promise<void>((resolve) => {
      storing = resolve;
    });
    sink.accept = async (message) => {
      storing();
      await stored;
      return accept(message);
    };
    await adapter.start(sink);
    const acks: AckEvent[] = [];
    emulator.on("ack", (a: AckEvent) => acks.push(a));

    const { results } = await emulator.userSays(user, dm, "slow store");
    const envelopeId = results[0]?.envelopeId as string;
    await reached;
    // A slash command on the same socket is answered meanwhile: the socket is alive and acks flow.
    const { response } = await emulator.slashCommand(user, dm, "/help");
    expect(response.text).toBeDefined();
    expect(acks.map((a) => a.envelopeId)).not.toContain(envelopeId);

    release();
    await emulator.waitForAck(envelopeId);
    expect(sink.messages.map((m) => m.text)).toEqual(["slow store"]);
  });

  it("acknowledges an event the bridge ignores, so Slack does not send it again", async () => {
    setup = await setupSlack("socket");
    const { emulator, user, channel, adapter } = setup;
    const sink = new RecordingSink();
    await adapter.start(sink);
    const { results } = await emulator.userSays(user, channel, "chatter nobody addressed");
    await emulator.waitForAck(results[0]?.envelopeId as string);
    expect(sink.messages).toHaveLength(0);
  });
});

describe("Slack Socket Mode events no retry can help", () => {
  it("acknowledges an event from a workspace that never installed the app, so Slack stops sending it", async () => {
    const store = await openStore("memory://");
    setup = await setupSlack("socket", (emulator) => ({
      botToken: undefined,
      oauth: {
        clientId: emulator.clientId,
        clientSecret: emulator.clientSecret,
        stateSecret: "state",
        store,
      },
    }));
    const { emulator, adapter, user, dm } = setup;
    const sink = new RecordingSink();
    await adapter.start(sink);
    const { results } = await emulator.userSays(user, dm, "from a workspace without an install");
    await emulator.waitForAck(results[0]?.envelopeId as string);
    expect(sink.messages).toHaveLength(0);
    await store.close();
  });
});

describe("Slack HTTP Events API answers a refused message with an error", () => {
  it("an HTTP event the store could not take gets a 5xx, and Slack's retry is handed over once", async () => {
    setup = await setupSlack("http");
    const { emulator, user, dm, adapter } = setup;
    const sink = new FlakySink(1, "STORE_UNAVAILABLE");
    await adapter.start(sink);

    const { events, results } = await emulator.userSays(user, dm, "sent while the store is down");
    expect(results[0]?.status).toBeGreaterThanOrEqual(500);
    expect(sink.messages).toHaveLength(0);

    const retry = await emulator.deliver(events[0]!, { retryNum: 1, retryReason: "http_error" });
    expect(retry.status).toBe(200);
    expect(sink.messages.map((m) => m.text)).toEqual(["sent while the store is down"]);
    expect(sink.refusals).toBe(1);
  });
});
