// Contact sync and MyGPT webhook posting with two bridge replicas on one Redis: both run on shared
// durable queues, so a new user becomes a contact once and an agent's message is posted once, even
// when the same webhook event reaches both replicas.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/types.js";
import { type AssistantEmulator, startAssistantEmulator } from "../emulators/assistant/index.js";
import { type BotMessageEvent, TelegramEmulator } from "../emulators/telegram/emulator.js";
import type { BridgeProcess } from "../reliability/bridge-process.js";
import { parseReply } from "../support/bridge-harness.js";
import { waitForEvent } from "../support/events.js";
import { type RedisServer, skipWithoutRedis, startRedis } from "../support/redis.js";
import { startReplicas } from "./replicas.js";

const SECRET = "whsec-test";

describe.skipIf(skipWithoutRedis())("shared queues across replicas", { timeout: 60_000 }, () => {
  let redis: RedisServer;
  let telegram: TelegramEmulator;
  let assistant: AssistantEmulator;
  let store: Store;
  let replicas: BridgeProcess[] = [];

  beforeEach(async () => {
    redis = await startRedis();
    telegram = new TelegramEmulator();
    assistant = await startAssistantEmulator({ webhookSecret: SECRET });
    replicas = await startReplicas(2, {
      MYGPT_API_URL: assistant.url,
      MYGPT_API_KEY: assistant.apiKey,
      MYGPT_BOT_ID: assistant.botId,
      MYGPT_WEBHOOK_SECRET: SECRET,
      TELEGRAM_API_ROOT: await telegram.start(),
      TELEGRAM_BOT_TOKEN: telegram.token,
      STORE_URL: redis.url,
    });
    store = await openStore(redis.url);
  });
  afterEach(async () => {
    await store.close();
    await Promise.all(replicas.map((r) => r.close()));
    replicas = [];
    await telegram.close();
    await assistant.close();
    await redis.stop();
  });

  /** Resolves with the first bot message matching, already sent or the next one. */
  const posted = (match: (e: BotMessageEvent) => boolean): Promise<BotMessageEvent> => {
    const done = telegram.sent.find(match);
    return done ? Promise.resolve(done) : waitForEvent(telegram, "botMessage", match, 20_000);
  };

  /** Waits until nothing is left in these queues on the shared store (bounded). */
  async function drained(queues: string[]): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const sizes = await Promise.all(queues.map((q) => store.queueSize(q)));
      if (sizes.every((n) => n === 0)) return;
      if (Date.now() > deadline) throw new Error(`queues not drained: ${queues} = ${sizes}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it("syncs each new user to the CRM once, however many replicas run", async () => {
    const users = Array.from({ length: 4 }, (_, i) => telegram.createUser({ first_name: `User${i}` }));
    for (const [i, user] of users.entries()) {
      for (let n = 0; n < 2; n++) telegram.userSays(telegram.privateChat(user), user, `hello u${i}m${n}`);
    }
    for (let i = 0; i < 4; i++)
      for (let n = 0; n < 2; n++) await posted((e) => e.text.includes(`u${i}m${n}`));
    if (assistant.contacts().length < 4)
      await waitForEvent(assistant, "request", () => assistant.contacts().length >= 4, 20_000);
    await drained(["contacts-new", "contacts-refresh"]);
    const creates = assistant.requests.filter((r) => r.kind === "data" && r.method === "POST");
    expect(creates).toHaveLength(4);
    expect(new Set(assistant.contacts().map((c) => c.externalId)).size).toBe(4);
  });

  it("posts an agent's message once when the same webhook event reaches both replicas", async () => {
    const user = telegram.createUser();
    telegram.userSays(telegram.privateChat(user), user, "I need a human");
    const reply = await posted((e) => e.text.includes("I need a human"));
    const { sessionId } = parseReply(reply.text);
    const event = assistant.makeMessageEvent(sessionId, "agent", "Hi, Sam from support here.");
    const statuses = await Promise.all(
      replicas.map(async (r) => (await assistant.sendWebhook(`${r.url}/webhooks/mygpt`, event)).status),
    );
    expect(statuses.every((s) => s >= 200 && s < 300)).toBe(true);
    const other = assistant.makeMessageEvent(sessionId, "agent", "Anything else?");
    expect((await assistant.sendWebhook(`${replicas[1]!.url}/webhooks/mygpt`, other)).status).toBe(202);
    await posted((e) => e.text === "Hi, Sam from support here.");
    await posted((e) => e.text === "Anything else?");
    await drained(["webhook-events"]);
    expect(telegram.sent.filter((e) => e.text === "Hi, Sam from support here.")).toHaveLength(1);
    expect(telegram.sent.filter((e) => e.text === "Anything else?")).toHaveLength(1);
  });
});
