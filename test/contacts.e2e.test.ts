// Contact sync end to end: users talking through the relay become CRM contacts in the assistant
// emulator, within the data budget, without touching chat latency.
import { describe, expect, it } from "vitest";
import type { AssistantEmulator, RecordedRequest } from "./emulators/assistant/index.js";
import { maxCallsInAnyWindow } from "./emulators/assistant/sliding-window.js";
import { bridgesClosedAfterEach } from "./support/bridge-harness.js";
import { waitForEvent } from "./support/events.js";
import { TestAdapter } from "./support/test-adapter.js";

const contactsWhere = (assistant: AssistantEmulator, done: () => boolean, timeoutMs = 20_000) =>
  done() ? Promise.resolve() : waitForEvent(assistant, "request", () => done(), timeoutMs).then(() => {});

const dataCalls = (assistant: AssistantEmulator, method?: string): RecordedRequest[] =>
  assistant.requests.filter((r) => r.kind === "data" && (!method || r.method === method));

describe("contact sync", () => {
  const start = bridgesClosedAfterEach();

  it("makes one contact per user however many messages they send", async () => {
    const adapter = new TestAdapter();
    const t = await start({ adapters: [adapter] });
    for (let i = 0; i < 5; i++)
      await adapter.say({ channel: "D1", user: "U1", userName: "Ada", text: `hi ${i}` });
    await adapter.say({ channel: "D2", user: "U2", userName: "Grace", text: "hello" });
    await contactsWhere(t.assistant, () => t.assistant.contacts().length === 2);
    await t.bridge.relay.whenIdle();
    expect(
      t.assistant
        .contacts()
        .map((c) => c.externalId)
        .sort(),
    ).toEqual(["test:local:U1", "test:local:U2"]);
    expect(dataCalls(t.assistant, "POST")).toHaveLength(2);
    expect(t.assistant.contacts().find((c) => c.externalId === "test:local:U1")).toMatchObject({
      name: "Ada",
      email: "u1@example.com",
      source: "mygpt-bridge:test",
    });
  });

  it("patches a contact once when the profile changes, and not at all when it does not", async () => {
    const adapter = new TestAdapter();
    const t = await start({ adapters: [adapter], yaml: "contacts:\n  profileCheckMinutes: 0\n" });
    await adapter.say({ channel: "D1", user: "U1", userName: "Ada", text: "one" });
    await contactsWhere(t.assistant, () => t.assistant.contacts().length === 1);
    await adapter.say({ channel: "D1", user: "U1", userName: "Ada Lovelace", text: "two" });
    await contactsWhere(t.assistant, () => dataCalls(t.assistant, "PATCH").length === 1);
    await adapter.say({ channel: "D1", user: "U1", userName: "Ada Lovelace", text: "three" });
    // Sync is one user at a time: once a later user is created, U1's unchanged profile was handled.
    await adapter.say({ channel: "D2", user: "U2", userName: "Grace", text: "later user" });
    await contactsWhere(t.assistant, () => t.assistant.contacts().length === 2);
    expect(dataCalls(t.assistant, "PATCH")).toHaveLength(1);
    expect(t.assistant.contacts().find((c) => c.externalId === "test:local:U1")?.name).toBe("Ada Lovelace");
  });

  it("spreads a burst of new users within the data budget, with no 429", async () => {
    const adapter = new TestAdapter();
    const t = await start({
      adapters: [adapter],
      env: { MYGPT_DATA_RATE: "10/1s" },
      emulator: { dataLimit: { limit: 10, windowMs: 1000 } },
    });
    for (let i = 0; i < 30; i++) await adapter.say({ channel: `D${i}`, user: `U${i}`, text: "hello" });
    await contactsWhere(t.assistant, () => t.assistant.contacts().length === 30, 30_000);
    const calls = dataCalls(t.assistant);
    expect(calls.filter((r) => r.status === 429)).toHaveLength(0);
    expect(
      maxCallsInAnyWindow(
        calls
          .filter((r) => r.counted)
          .map((r) => r.at)
          .sort((a, b) => a - b),
        1000,
      ),
    ).toBeLessThanOrEqual(10);
  });

  it("answers chat at once while contact sync waits for its budget", async () => {
    const adapter = new TestAdapter();
    const t = await start({ adapters: [adapter], env: { MYGPT_DATA_RATE: "1/60s" } });
    for (let i = 0; i < 5; i++)
      await adapter.say({ channel: `D${i}`, user: `U${i}`, text: "quick question" });
    await adapter.waitForPosts(5);
    expect(t.assistant.contacts().length).toBeLessThanOrEqual(1);
    expect((await t.bridge.contacts.backlog()).new).toBeGreaterThanOrEqual(3);
  });

  it("never sends a field the operator excluded", async () => {
    const adapter = new TestAdapter();
    const t = await start({ adapters: [adapter], yaml: "contacts:\n  excludeFields: [email]\n" });
    await adapter.say({ channel: "D1", user: "U1", userName: "Ada", text: "hi" });
    await contactsWhere(t.assistant, () => t.assistant.contacts().length === 1);
    expect(t.assistant.contacts()[0]?.email ?? null).toBeNull();
    expect(JSON.stringify(dataCalls(t.assistant).map((r) => r.body))).not.toContain("example.com");
  });
});
