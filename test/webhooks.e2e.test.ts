// Webhook events from the assistant side reaching chat: a signed message.created event from the
// emulator, through the bridge's HTTP server, into the conversation its session lives in.
import { describe, expect, it } from "vitest";
import { bridgesClosedAfterEach, startWebhookConversation } from "./support/bridge-harness.js";
import { TestAdapter } from "./support/test-adapter.js";

describe("webhook events from the assistant", () => {
  const start = bridgesClosedAfterEach();

  async function bridgeWithConversation(yaml?: string) {
    const { adapter, t, sessionId, hook } = await startWebhookConversation(start, { yaml });
    return { adapter, t, sessionId, url: hook };
  }

  it("posts a human agent's message into the thread the session lives in", async () => {
    const { adapter, t, sessionId, url } = await bridgeWithConversation();
    const sent = await t.assistant.sendWebhook(
      url,
      t.assistant.makeMessageEvent(sessionId, "agent", "Hi, Sam from support here."),
    );
    expect(sent.status).toBe(202);
    const [posted] = await adapter.waitForPosts(1, (p) => p.text === "Hi, Sam from support here.");
    expect(posted!.conversation).toMatchObject({ channelId: "C1", threadId: "t1" });
  });

  it("refuses a bad signature and a stale timestamp, and posts nothing", async () => {
    const { adapter, t, sessionId, url } = await bridgeWithConversation();
    const event = t.assistant.makeMessageEvent(sessionId, "agent", "forged");
    expect((await t.assistant.sendWebhook(url, event, { secret: "not-the-secret" })).status).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 600;
    expect((await t.assistant.sendWebhook(url, event, { timestamp: stale })).status).toBe(401);
    const future = Math.floor(Date.now() / 1000) + 600;
    expect((await t.assistant.sendWebhook(url, event, { timestamp: future })).status).toBe(401);
    expect((await t.assistant.sendWebhook(url, event, { signature: "t=1,v1=zz" })).status).toBe(401);
    await t.bridge.webhooks?.drain();
    expect(adapter.posted.filter((p) => p.text === "forged")).toHaveLength(0);
  });

  it("posts a redelivered event once", async () => {
    const { adapter, t, sessionId, url } = await bridgeWithConversation();
    const event = t.assistant.makeMessageEvent(sessionId, "agent", "only once");
    expect((await t.assistant.sendWebhook(url, event)).status).toBe(202);
    expect((await t.assistant.sendWebhook(url, event)).status).toBe(200);
    await t.bridge.webhooks?.drain();
    expect(adapter.posted.filter((p) => p.text === "only once")).toHaveLength(1);
  });

  it("does not repeat the assistant's own answer when the dashboard reports it", async () => {
    const { adapter, t, sessionId, url } = await bridgeWithConversation();
    const session = (await t.bridge.relay.sessions.lookup({ sessionId }))!.session;
    const ownId = session.ownMessageIds!.at(-1)!;
    const event = { ...t.assistant.makeMessageEvent(sessionId, "assistant", "echo of our answer") };
    event.data = { ...event.data, messageId: ownId };
    expect((await t.assistant.sendWebhook(url, event)).status).toBe(202);
    const other = t.assistant.makeMessageEvent(sessionId, "assistant", "a follow-up we did not send");
    await t.assistant.sendWebhook(url, other);
    await adapter.waitForPosts(1, (p) => p.text === "a follow-up we did not send");
    expect(adapter.posted.filter((p) => p.text === "echo of our answer")).toHaveLength(0);
  });

  it("answers 202 for a session it does not know and posts nothing", async () => {
    const { adapter, t, sessionId, url } = await bridgeWithConversation();
    const event = t.assistant.makeMessageEvent(sessionId, "agent", "to nobody");
    event.data = { ...event.data, sessionId: "sess-unknown", conversationId: "conv-unknown" };
    expect((await t.assistant.sendWebhook(url, event)).status).toBe(202);
    await t.bridge.webhooks?.drain();
    expect(adapter.posted.filter((p) => p.text === "to nobody")).toHaveLength(0);
  });

  it("keeps relaying the assistant's answers during a handoff by default", async () => {
    const { adapter, t, sessionId, url } = await bridgeWithConversation();
    await t.assistant.sendWebhook(url, t.assistant.makeMessageEvent(sessionId, "agent", "Agent here."));
    await adapter.waitForPosts(1, (p) => p.text === "Agent here.");
    await adapter.say({ channel: "C1", thread: "t1", text: "thanks agent" });
    await adapter.waitForPosts(1, (p) => p.text.includes("thanks agent"));
  });

  it("holds the assistant's answers back during a handoff when told to stay silent", async () => {
    const { adapter, t, sessionId, url } = await bridgeWithConversation("handoff:\n  mode: stay-silent\n");
    await t.assistant.sendWebhook(url, t.assistant.makeMessageEvent(sessionId, "agent", "Agent here."));
    await adapter.waitForPosts(1, (p) => p.text === "Agent here.");
    await adapter.say({ channel: "C1", thread: "t1", text: "thanks agent" });
    await t.bridge.relay.whenIdle();
    const calls = t.assistant.requests.filter(
      (r) => r.kind === "chat" && JSON.stringify(r.body).includes("thanks agent"),
    );
    expect(calls).toHaveLength(1);
    expect(adapter.posted.filter((p) => p.text.includes("thanks agent"))).toHaveLength(0);
  });

  it("has no webhook route without MYGPT_WEBHOOK_SECRET", async () => {
    const adapter = new TestAdapter();
    const t = await start({ adapters: [adapter], http: true });
    const response = await fetch(`${t.bridge.url}/webhooks/mygpt`, { method: "POST", body: "{}" });
    expect(response.status).toBe(404);
  });
});
