// Several bridge replicas on one real redis-server, as an operator runs them behind a load balancer:
// each replica is `mygpt-bridge start` in its own process; Slack (HTTP mode, signed Events API posts)
// and Telegram (webhook mode) reach them through a round-robin proxy, so the messages of one
// conversation arrive at different replicas. A burst of 500 messages over 50 conversations must be
// answered exactly once each, in order per conversation, within one shared assistant budget; also
// when one replica is killed with -9 in the middle of it.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@redis/client";
import { afterEach, describe, expect, it } from "vitest";
import { PLACEHOLDER_TEXT } from "../../adapters/slack/progress.js";
import { openStore } from "../../src/store/open-store.js";
import { type AssistantEmulator, startAssistantEmulator } from "../emulators/assistant/index.js";
import { SlackEmulator } from "../emulators/slack/emulator.js";
import { TelegramEmulator } from "../emulators/telegram/emulator.js";
import { BridgeProcess } from "../reliability/bridge-process.js";
import { Ledger, messageTag, tagsIn } from "../reliability/ledger.js";
import { freePort, type RedisServer, skipWithoutRedis, startRedis } from "../support/redis.js";
import { type RoundRobin, startRoundRobin } from "../support/round-robin.js";
import { postSlackEvent } from "./replicas.js";

const SIGNING_SECRET = "replicas-signing-secret-0123456789";
const TELEGRAM_SECRET = "replicas-webhook-secret";
/**
 * The assistant's rate limit, and the budget every replica shares: 150 calls in any 3 s. The burst
 * needs twice that or more, so the budget binds.
 */
const BUDGET = { limit: 150, windowMs: 3_000 };
/** Short, so a killed replica's conversations would move quickly even without the same-host check. */
const LEASE_MS = 3_000;
const CONVERSATIONS_PER_PLATFORM = 25;
const MESSAGES_PER_CONVERSATION = 10;
const TOTAL = 2 * CONVERSATIONS_PER_PLATFORM * MESSAGES_PER_CONVERSATION;

interface World {
  redis: RedisServer;
  assistant: AssistantEmulator;
  telegram: TelegramEmulator;
  slack: SlackEmulator;
  proxy: RoundRobin;
  replicas: BridgeProcess[];
  /** Each replica's output (its log lines). */
  logFiles: string[];
}

const open: World[] = [];
afterEach(async () => {
  for (const world of open.splice(0)) {
    await Promise.all(world.replicas.map((r) => r.close()));
    await world.proxy.close();
    await world.telegram.close();
    await world.slack.close();
    await world.assistant.close();
    await world.redis.stop();
  }
});

async function startWorld(replicaCount: number): Promise<World> {
  const redis = await startRedis();
  const assistant = await startAssistantEmulator({
    chatLimit: BUDGET,
    dataLimit: { limit: 100_000, windowMs: 60_000 },
  });
  const telegram = new TelegramEmulator();
  const slack = new SlackEmulator();
  const ports = await Promise.all(Array.from({ length: replicaCount }, () => freePort()));
  const proxy = await startRoundRobin(ports.map((port) => `http://127.0.0.1:${port}`));
  const world: World = { redis, assistant, telegram, slack, proxy, replicas: [], logFiles: [] };
  open.push(world);
  const env = {
    MYGPT_API_URL: assistant.url,
    MYGPT_API_KEY: assistant.apiKey,
    MYGPT_BOT_ID: assistant.botId,
    MYGPT_CHAT_RATE: `${BUDGET.limit}/${BUDGET.windowMs / 1000}s`,
    MYGPT_DATA_RATE: "100000/60s",
    STORE_URL: redis.url,
    PROCESS_LEASE_MS: String(LEASE_MS),
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: await telegram.start(),
    TELEGRAM_WEBHOOK_URL: `${proxy.url}/telegram/webhook`,
    TELEGRAM_WEBHOOK_SECRET: TELEGRAM_SECRET,
    SLACK_API_URL: await slack.start(),
    SLACK_BOT_TOKEN: slack.workspace.botToken,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    LOG_LEVEL: "info",
  };
  const logs = mkdtempSync(join(tmpdir(), "replicas-"));
  world.logFiles = ports.map((_, i) => join(logs, `replica-${i}.log`));
  world.replicas = ports.map((port, i) => new BridgeProcess({ env, port, logFile: world.logFiles[i]! }));
  for (const replica of world.replicas) replica.start();
  await Promise.all(world.replicas.map((replica) => replica.ready()));
  return world;
}

interface Outcome {
  sent: number;
  lost: string[];
  duplicated: string[];
  duplicatedOutsideKillWindow: string[];
  outOfOrder: string[];
  /** Posts quoting no message (apologies, notices), placeholders aside. */
  otherPosts: string[];
  /** Slack "thinking" placeholders no reply replaced (a killed replica's). */
  placeholdersLeft: number;
  rateLimited: number;
  maxCallsInAnyWindow: number;
  /** Messages each replica posted, from its /metrics (undefined for a killed one). */
  postedBy: Array<number | undefined>;
}

/**
 * Sends the burst through the proxy (Telegram updates pushed by the emulator one by one; Slack
 * events posted by each conversation in turn, as Slack does, each after the previous one got its
 * 2xx), optionally kills one replica once a third of the messages are answered, and waits until the
 * shared queue is empty: every message answered and acknowledged, nothing left to post.
 */
async function burst(world: World, options: { kill?: number } = {}): Promise<Outcome> {
  const { telegram, slack, proxy, replicas } = world;
  const tg = new Ledger(0);
  const sl = new Ledger(0);
  /** Platform and tag of messages whose reply a killed replica may have posted without recording it. */
  const mayRepeat = new Set<string>();
  let answered = 0;
  let third: () => void = () => {};
  const thirdAnswered = new Promise<void>((resolve) => {
    third = resolve;
  });
  const posted = () => {
    answered = tg.answeredTags().size + sl.answeredTags().size;
    if (answered >= TOTAL / 3) third();
  };
  /** The latest text of every bot post, by post. */
  const texts = new Map<string, string>();
  telegram.on("botMessage", (m: { chatId: number; messageId: number; text: string }) => {
    texts.set(`tg ${m.chatId}:${m.messageId}`, m.text);
    tg.recordPost(`${m.chatId}:${m.messageId}`, m.text, Date.now());
    posted();
  });
  slack.on("botMessage", (m: { method: string; channel: string; ts: string; text: string }) => {
    if (m.method === "chat.delete") return;
    texts.set(`sl ${m.channel}:${m.ts}`, m.text);
    sl.recordPost(`${m.channel}:${m.ts}`, m.text, Date.now());
    posted();
  });

  const killed =
    options.kill === undefined
      ? Promise.resolve()
      : thirdAnswered.then(async () => {
          const client = createClient({ url: world.redis.url });
          await client.connect();
          try {
            const before = await repliesNotRecorded(client);
            const dead = replicas[options.kill!]!.kill9();
            const after = await repliesNotRecorded(client);
            await dead;
            for (const tag of [...before, ...after]) mayRepeat.add(tag);
          } finally {
            await client.close();
          }
        });

  const tgChats = Array.from({ length: CONVERSATIONS_PER_PLATFORM }, (_, i) => {
    const user = telegram.createUser({ first_name: `Tg${i}` });
    return { user, chat: telegram.privateChat(user) };
  });
  const slackDms = Array.from({ length: CONVERSATIONS_PER_PLATFORM }, (_, i) => {
    const user = slack.createUser({ name: `person${i}` });
    return { user, dm: slack.dmWith(user) };
  });
  for (let n = 0; n < MESSAGES_PER_CONVERSATION; n++) {
    for (const [c, { user, chat }] of tgChats.entries()) {
      const tag = messageTag(c, n);
      tg.recordSent({ tag, conversation: c, n, at: Date.now() });
      telegram.userSays(chat, user, `question ${tag} please`);
    }
  }
  await Promise.all(
    slackDms.map(async ({ user, dm }, c) => {
      for (let n = 0; n < MESSAGES_PER_CONVERSATION; n++) {
        const tag = messageTag(c, n);
        sl.recordSent({ tag, conversation: c, n, at: Date.now() });
        const { events } = await slack.userSays(user, dm, `question ${tag} please`);
        for (const event of events) {
          const sentAt = Date.now();
          const status = await postSlackEvent(
            SIGNING_SECRET,
            `${proxy.url}/slack/events`,
            JSON.stringify(event),
          );
          expect(status).toBe(200);
          sl.markArrived(tag, sentAt, Date.now());
        }
      }
    }),
  );
  await killed;
  const store = await openStore(world.redis.url);
  try {
    await until(
      async () => (await store.queueSize("inbound")) === 0 && telegram.webhookInfo.pendingUpdateCount === 0,
      60_000,
    );
  } finally {
    await store.close();
  }
  const tallies = [tg.tally(), sl.tally()];
  const requests = world.assistant.requests.filter((r) => r.kind === "chat");
  return {
    sent: tallies.reduce((n, t) => n + t.sent, 0),
    lost: tallies.flatMap((t) => t.lostTags),
    duplicated: tallies.flatMap((t) => t.duplicatedTags),
    duplicatedOutsideKillWindow: tallies.flatMap((t, i) => {
      const platform = i === 0 ? "telegram" : "slack";
      return t.duplicatedTags.filter((tag) => !mayRepeat.has(`${platform} ${tag}`));
    }),
    outOfOrder: tallies.flatMap((t) => t.outOfOrderTags),
    otherPosts: [...texts.values()].filter((text) => tagsIn(text).length === 0 && text !== PLACEHOLDER_TEXT),
    placeholdersLeft: [...texts.values()].filter((text) => text === PLACEHOLDER_TEXT).length,
    rateLimited: requests.filter((r) => r.status === 429).length,
    maxCallsInAnyWindow: world.assistant.maxChatCallsInAnyWindow(),
    postedBy: await Promise.all(replicas.map((r) => (r.running ? messagesOut(r.url) : undefined))),
  };
}

/**
 * The messages whose reply is stored but not yet recorded as posted ("platform tag"): if the replica
 * holding one dies, the one taking over posts the reply (again, if it had been posted just before the
 * death: the post-then-record window no system can close). Read from Redis in one atomic script, so
 * a read sent right after the kill signal sees the store as the dead replica left it.
 */
const REPLIES_NOT_RECORDED = `
local out = {}
for _, key in ipairs(redis.call('KEYS', 'mygpt:item:inbound:*')) do
  local payload = redis.call('HGET', key, 'payload')
  if payload and string.find(payload, '"reply"', 1, true) then table.insert(out, payload) end
end
return out
`;

async function repliesNotRecorded(client: { eval(script: string): Promise<unknown> }): Promise<string[]> {
  const payloads = (await client.eval(REPLIES_NOT_RECORDED)) as string[];
  return payloads.flatMap((payload) => {
    const stored = JSON.parse(payload) as {
      message: { conversation: { platform: string } };
      reply?: { chunks: string[] };
    };
    const tags = tagsIn(stored.reply?.chunks.join("\n") ?? "");
    return tags.map((tag) => `${stored.message.conversation.platform} ${tag}`);
  });
}

/** bridge_messages_out_total of one replica, every platform summed, and its replica gauges. */
async function messagesOut(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  expect(text).toMatch(/^bridge_replica_conversations_held\{replica="[^"]+\/\d+\/[^"]+"\} \d+$/m);
  expect(text).toMatch(/^bridge_replica_messages_held\{replica="[^"]+"\} \d+$/m);
  return [...text.matchAll(/^bridge_messages_out_total\{[^}]*\} (\d+)$/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
}

/** Polls `check` (a store query) until it holds; bounded. */
async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("the replicas did not answer every message in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function expectExactlyOnceInOrder(outcome: Outcome, replicas: number): void {
  expect(outcome.sent).toBe(TOTAL);
  expect({
    lost: outcome.lost,
    duplicated: outcome.duplicatedOutsideKillWindow,
    outOfOrder: outcome.outOfOrder,
    apologiesOrNotices: outcome.otherPosts,
  }).toEqual({ lost: [], duplicated: [], outOfOrder: [], apologiesOrNotices: [] });
  expect(outcome.rateLimited).toBe(0);
  expect(outcome.maxCallsInAnyWindow).toBeLessThanOrEqual(BUDGET.limit);
  const alive = outcome.postedBy.filter((n): n is number => n !== undefined);
  expect(alive).toHaveLength(replicas);
  for (const posts of alive) expect(posts).toBeGreaterThan(0);
}

describe.skipIf(skipWithoutRedis())("replicas on one Redis behind a round-robin proxy", () => {
  it("two replicas answer a 500-message burst over 50 conversations once each, in order, within one budget", async () => {
    const world = await startWorld(2);
    const outcome = await burst(world);
    expectExactlyOnceInOrder(outcome, 2);
    expect(outcome.duplicated).toEqual([]);
    expect(outcome.placeholdersLeft).toBe(0);
    expect(world.proxy.served.every((n) => n > 0)).toBe(true);
    // Each replica says at start which id its /metrics gauges carry.
    const ids = world.logFiles.map(
      (file) => /"replica":"([^"]+)".*replica id on the store/.exec(readFileSync(file, "utf8"))?.[1],
    );
    expect(new Set(ids).size).toBe(2);
    for (const [i, replica] of world.replicas.entries()) {
      const metrics = await (await fetch(`${replica.url}/metrics`)).text();
      expect(metrics).toContain(`bridge_replica_conversations_held{replica="${ids[i]}"}`);
    }
  }, 90_000);

  it("three replicas answer the same burst once each, in order, within one budget", async () => {
    const world = await startWorld(3);
    const outcome = await burst(world);
    expectExactlyOnceInOrder(outcome, 3);
    expect(outcome.duplicated).toEqual([]);
    expect(outcome.placeholdersLeft).toBe(0);
  }, 90_000);

  it("a replica killed with -9 mid-burst loses nothing and answers nothing twice: the others take its conversations over", async () => {
    const world = await startWorld(3);
    const outcome = await burst(world, { kill: 1 });
    expect(world.replicas[1]!.running).toBe(false);
    expectExactlyOnceInOrder(outcome, 2);
  }, 90_000);
});
