// Two assistants on two API keys behind one relay: each key's calls move on that key's own budget.
// Driven through the real bridge (relay, store, budget, client) against the assistant emulator;
// timing is read from the emulator's record of when each call arrived, never from sleeps.
import { describe, expect, it } from "vitest";
import { bridgesClosedAfterEach, parseReply } from "../support/bridge-harness.js";
import { TestAdapter } from "../support/test-adapter.js";

const TWO_ROUTES = [
  "routes:",
  "  - channel: quiet",
  "    botId: bot-b",
  "    apiKeyEnv: KEY_B",
  "  - botId: bot-a",
  "relay:",
  "  mergeQueuedMessages: false",
  "contacts:",
  "  enabled: false",
].join("\n");

describe("calls on two API keys", () => {
  const start = bridgesClosedAfterEach();

  it("a message on a key with budget to spare reaches the assistant at once while another key is flooded", async () => {
    const adapter = new TestAdapter();
    const t = await start({
      adapters: [adapter],
      yaml: TWO_ROUTES,
      emulator: {
        apiKeys: ["key-a", "key-b"],
        botIds: ["bot-a", "bot-b"],
        chatLimit: { limit: 5, windowMs: 2_000 },
      },
      env: { MYGPT_API_KEY: "key-a", MYGPT_BOT_ID: "bot-a", KEY_B: "key-b", MYGPT_CHAT_RATE: "5/2s" },
    });
    t.assistant.injectFaults(
      ...Array.from({ length: 40 }, () => ({ kind: "slow" as const, delayMs: 1_000 })),
    );
    const firstOnA = new Promise<void>((resolve) => {
      const onReceived = (r: { path: string }) => {
        if (r.path !== "/bot/bot-a") return;
        t.assistant.off("received", onReceived);
        resolve();
      };
      t.assistant.on("received", onReceived);
    });
    for (let i = 0; i < 20; i++) await adapter.say({ channel: `busy-${i}`, text: `flood ${i}` });
    await firstOnA;

    await adapter.say({ channel: "quiet", text: "my own key is idle" });
    const [reply] = await adapter.waitForPosts(1, (p) => p.conversation.channelId === "quiet");
    expect(parseReply(reply!.text).message).toBe("my own key is idle");

    const chat = t.assistant.requests.filter((r) => r.kind === "chat");
    const onB = chat.find((r) => r.apiKey === "key-b")!;
    expect(onB.status).toBe(200);
    const aBeforeB = chat.filter((r) => r.apiKey === "key-a" && r.at <= onB.at);
    // Key A's first window holds 5 calls; key B's message must not queue behind A's later windows.
    expect(aBeforeB.length).toBeLessThanOrEqual(5);
    expect(t.assistant.maxChatCallsInAnyWindow("key-a")).toBeLessThanOrEqual(5);
  });

  it("a key whose replies are slow to post still spends its whole budget", async () => {
    const adapter = new TestAdapter();
    // The assistant answers at once, but each reply takes 800 ms to post: a call holds its place in
    // flight for its post too, so the key needs about four in flight to spend 5 calls a second.
    adapter.sendDelayMs = 800;
    const t = await start({
      adapters: [adapter],
      yaml: "contacts:\n  enabled: false",
      emulator: { chatLimit: { limit: 5, windowMs: 1_000 } },
      env: { MYGPT_CHAT_RATE: "5/1s" },
    });
    const conversations = 45;
    for (let i = 0; i < conversations; i++) await adapter.say({ channel: `c${i}`, text: `question ${i}` });
    await adapter.waitForPosts(conversations, () => true, 60_000);

    const chat = t.assistant.requests.filter((r) => r.kind === "chat" && r.status === 200);
    expect(chat).toHaveLength(conversations);
    expect(t.assistant.maxChatCallsInAnyWindow()).toBeLessThanOrEqual(5);
    // Once the bridge has timed its first calls, the budget is the only limit: the last 25 calls
    // take about five windows. (Sized by the assistant's latency alone, two were kept in flight,
    // about 2.5 calls a second: ten seconds.)
    const tail = chat.slice(-25);
    expect(tail.at(-1)!.at - tail[0]!.at).toBeLessThan(7_000);
  }, 60_000);
});
