// A contact backlog that cannot drain quickly is never silent: its ETA is in /metrics, it is logged
// once past the threshold, and operators choose which lane (new users or changed profiles) goes first.
import { describe, expect, it } from "vitest";
import type { AssistantEmulator } from "../emulators/assistant/index.js";
import { bridgesClosedAfterEach } from "../support/bridge-harness.js";
import { waitForEvent } from "../support/events.js";
import { captureLogs } from "../support/log-lines.js";
import { TestAdapter } from "../support/test-adapter.js";

const dataCalls = (assistant: AssistantEmulator) =>
  assistant.requests.filter((r) => r.kind === "data").map((r) => `${r.method} ${JSON.stringify(r.body)}`);

describe("contact backlog", () => {
  const start = bridgesClosedAfterEach();

  it("logs once when draining would take longer than the threshold, with the ETA, and shows the ETA in /metrics", async () => {
    const logs = captureLogs();
    const adapter = new TestAdapter();
    const t = await start({
      adapters: [adapter],
      http: true,
      env: { MYGPT_DATA_RATE: "1/3600s" },
      logger: logs.logger,
    });
    for (let i = 0; i < 8; i++) await adapter.say({ channel: `D${i}`, user: `U${i}`, text: `hello ${i}` });
    await t.bridge.contacts.settled();
    const warnings = logs.lines.filter((l) => String(l.msg).includes("contact backlog"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.etaMinutes).toBeGreaterThan(60);
    const metrics = await (await fetch(`${t.bridge.url}/metrics`)).text();
    const eta = Number(/^bridge_contact_backlog_eta_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(eta).toBeGreaterThan(3600);
  });

  it("syncs changed profiles of known users before new users when told to (contacts.syncFirst: refresh)", async () => {
    const adapter = new TestAdapter();
    const t = await start({
      adapters: [adapter],
      env: { MYGPT_DATA_RATE: "1/1s" },
      yaml: "contacts:\n  profileCheckMinutes: 0\n  syncFirst: refresh\n",
    });
    const created = (name: string) => t.assistant.contacts().some((c) => c.name === name);
    await adapter.say({ channel: "D1", user: "U1", userName: "Ada", text: "one" });
    await adapter.say({ channel: "D2", user: "U2", userName: "Grace", text: "two" });
    // Syncs run one at a time: once Grace exists, Ada's contact is known to the bridge.
    if (!created("Grace")) await waitForEvent(t.assistant, "request", () => created("Grace"));
    for (const [i, name] of ["Edsger", "Barbara", "Donald"].entries())
      await adapter.say({ channel: `N${i}`, user: `N${i}`, userName: name, text: `new user ${name}` });
    await adapter.say({ channel: "D1", user: "U1", userName: "Ada Lovelace", text: "renamed" });
    await t.bridge.contacts.settled();
    if (!created("Donald")) await waitForEvent(t.assistant, "request", () => created("Donald"), 15_000);
    const calls = dataCalls(t.assistant);
    const patch = calls.findIndex((c) => c.startsWith("PATCH") && c.includes("Ada Lovelace"));
    const last = calls.findIndex((c) => c.startsWith("POST") && c.includes("Donald"));
    expect(patch).toBeGreaterThan(-1);
    expect(patch).toBeLessThan(last);
  });
});
