// Runs one fault scenario end to end: the Telegram, Slack and assistant emulators in this process,
// the bridge as a real child process (`mygpt-bridge start`) on SQLite or a real redis-server, a
// steady stream of messages over several conversations per platform while a fault is acted out, then
// waits until every message is answered (or a bounded time passes) and tallies each platform.
// Telegram messages wait in the emulator's update queue for the bridge to poll; Slack events are
// signed HTTP posts to the bridge's /slack/events, re-posted as Slack does when one is not
// acknowledged with a 2xx within 3 s (x-slack-retry-num 1..3). The assistant emulator echoes the
// text it was sent, so each reply quotes the ids of the messages it answers (several, when the
// bridge merged queued messages into one call).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type AssistantEmulator, startAssistantEmulator } from "../emulators/assistant/index.js";
import type { EventCallback } from "../emulators/slack/emulator.js";
import { SlackEmulator } from "../emulators/slack/emulator.js";
import { slackSignature } from "../emulators/slack/signer.js";
import { TelegramEmulator } from "../emulators/telegram/emulator.js";
import { freePort, type RedisServer, startRedis } from "../support/redis.js";
import { BridgeProcess } from "./bridge-process.js";
import { Ledger, messageTag, type PlatformTally } from "./ledger.js";

export type PlatformName = "telegram" | "slack";
export type StoreName = "sqlite" | "redis";

const HERE = import.meta.dirname;
const SLACK_SIGNING_SECRET = "reliability-signing-secret-0123456789";
/** Slack waits this long for a 2xx before it counts a delivery as failed. */
const SLACK_ACK_TIMEOUT_MS = 3_000;
/**
 * When Slack re-posts an unacknowledged event, after the previous attempt. Slack's own schedule is
 * "at once, after 1 minute, after 5 minutes": its last retry comes long after any outage acted out
 * here (a 10 s lock, a 2-minute run of kills) is over. Compressed to keep a run short, the retries
 * come after 2 s and 10 s, and the last one 30 s later but never before the fault is over and the
 * bridge is up again, which is what Slack's 5 minutes amount to.
 */
const SLACK_RETRY_DELAYS_MS = [2_000, 10_000, 30_000];
/** The bridge's hold on a crashed process's backlog (DEFAULTS.backlogLeaseMs); a takeover waits it out. */
export const BACKLOG_LEASE_MS = Number(process.env.RELIABILITY_LEASE_MS ?? 30_000);

export interface Row {
  fault: string;
  store: StoreName;
  platform: PlatformName;
  sent: number;
  answered: number;
  duplicated: number;
  lost: number;
  outOfOrder: number;
  /** Kills that landed right after a reply was posted (the post-then-record window). */
  killsInWindow: number;
  /** Duplicated messages whose reply was posted within the window before a kill. */
  duplicatesInWindow: number;
  notes: string;
  /** Wall time of the whole scenario, bridge start-ups included. */
  seconds: number;
  detail: Pick<PlatformTally, "duplicatedTags" | "lostTags" | "outOfOrderTags" | "unexplained" | "overtakes">;
}

/** What a fault can do to the running world while messages flow. */
export interface FaultContext {
  bridge: BridgeProcess;
  /** Set when the scenario runs on Redis. */
  redis?: RedisServer;
  /** Set when the scenario runs on SQLite. */
  sqliteFile?: string;
  random: () => number;
  /** How long the stream of messages lasts. */
  sendMs: number;
  startedAt: number;
  /** Records a kill -9 in every platform's ledger (call just before killing). */
  noteKill(): void;
  /** Starts the bridge again after a kill (posts seen until then were the killed process's). */
  restartAfterKill(): void;
  /** Resolves at `ms` after the stream began. */
  at(ms: number): Promise<void>;
  log(line: string): void;
}

export interface Scenario {
  fault: string;
  store: StoreName;
  platforms: PlatformName[];
  /** Messages per platform. */
  messages: number;
  /** Conversations per platform. */
  conversations: number;
  /** Time between two messages on one platform. */
  paceMs: number;
  seed: number;
  /** Acts the fault out; returns notes for the table. */
  act?: (ctx: FaultContext) => Promise<string>;
  /** Extra environment for the bridge process (e.g. the write-fault probability). */
  env?: Record<string, string>;
  /** Load the store write-fault injector into the bridge process. */
  injectStoreWriteFaults?: boolean;
  /** How long to wait for the last answers after the stream and the fault are over. */
  drainTimeoutMs: number;
}

export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function logDir(): string {
  const dir = process.env.RELIABILITY_LOG_DIR ?? mkdtempSync(join(tmpdir(), "reliability-logs-"));
  mkdirSync(dir, { recursive: true });
  return dir;
}

const KILL_WINDOW_MS = Number(process.env.RELIABILITY_KILL_WINDOW_MS ?? 250);

export async function runScenario(scenario: Scenario, logs: string): Promise<Row[]> {
  const began = Date.now();
  const work = mkdtempSync(join(tmpdir(), "reliability-"));
  const random = seededRandom(scenario.seed);
  const telegram = new TelegramEmulator();
  const slack = new SlackEmulator();
  const assistant = await startAssistantEmulator({
    chatLimit: { limit: 100_000, windowMs: 60_000 },
    dataLimit: { limit: 100_000, windowMs: 60_000 },
  });
  const closers: Array<() => Promise<void>> = [() => assistant.close()];
  const uses = (p: PlatformName) => scenario.platforms.includes(p);
  const env: Record<string, string> = {
    ...assistantEnvFor(assistant),
    LOG_LEVEL: process.env.RELIABILITY_BRIDGE_LOG_LEVEL ?? "info",
    MYGPT_CHAT_RATE: "100000/60s",
    MYGPT_DATA_RATE: "100000/60s",
    ...scenario.env,
  };
  if (uses("telegram")) {
    env.TELEGRAM_API_ROOT = await telegram.start();
    env.TELEGRAM_BOT_TOKEN = telegram.token;
    closers.push(() => telegram.close());
  }
  if (uses("slack")) {
    env.SLACK_API_URL = await slack.start();
    env.SLACK_BOT_TOKEN = slack.workspace.botToken;
    env.SLACK_SIGNING_SECRET = SLACK_SIGNING_SECRET;
    closers.push(() => slack.close());
  }
  let redis: RedisServer | undefined;
  let sqliteFile: string | undefined;
  if (scenario.store === "redis") {
    const dataDir = join(work, "redis");
    mkdirSync(dataDir);
    redis = await startRedis({ dataDir });
    env.STORE_URL = redis.url;
    closers.push(() => redis!.stop());
  } else {
    sqliteFile = join(work, "bridge.sqlite");
    env.STORE_URL = `sqlite://${sqliteFile}`;
  }
  if (scenario.injectStoreWriteFaults) env.MYGPT_FAULT_SEED ??= String(scenario.seed);

  const logFile = join(logs, `${slug(scenario.fault)}.log`);
  const bridge = new BridgeProcess({
    env,
    port: await freePort(),
    logFile,
    ...(scenario.injectStoreWriteFaults && { preload: join(HERE, "store-write-faults.mjs") }),
  });
  const ledgers = new Map<PlatformName, Ledger>();
  for (const p of scenario.platforms) ledgers.set(p, new Ledger(KILL_WINDOW_MS));
  const supervisor = new Supervisor(bridge);
  const notes: string[] = [];
  let slackNotes = "";
  try {
    bridge.start();
    await bridge.ready();
    supervisor.watch();

    const progress = new Progress(ledgers);
    telegram.on("botMessage", (m: { chatId: number; messageId: number; text: string }) => {
      ledgers.get("telegram")?.recordPost(`${m.chatId}:${m.messageId}`, m.text, Date.now());
      progress.check();
    });
    slack.on("botMessage", (m: { method: string; channel: string; ts: string; text: string }) => {
      if (m.method === "chat.delete") return;
      ledgers.get("slack")?.recordPost(`${m.channel}:${m.ts}`, m.text, Date.now());
      progress.check();
    });

    const tgChats = Array.from({ length: scenario.conversations }, (_, i) => {
      const user = telegram.createUser({ first_name: `Tg${i}` });
      return { user, chat: telegram.privateChat(user) };
    });
    const slackDms = Array.from({ length: scenario.conversations }, (_, i) => {
      const user = slack.createUser({ name: `person${i}` });
      return { user, dm: slack.dmWith(user) };
    });
    const deliveries = new Set<Promise<void>>();
    const slackStats: SlackDeliveryStats = { retried: 0, refused: 0, timedOut: 0, unreachable: 0, cutOff: 0 };
    const sendMs = scenario.messages * scenario.paceMs;
    const startedAt = Date.now();
    const at = (ms: number) => untilTime(startedAt + ms);
    const ctx: FaultContext = {
      bridge,
      random,
      sendMs,
      startedAt,
      at,
      noteKill: () => {
        supervisor.expectExit();
        const now = Date.now();
        for (const ledger of ledgers.values()) ledger.recordKill(now);
      },
      restartAfterKill: () => {
        for (const ledger of ledgers.values()) ledger.recordRestart();
        bridge.start();
      },
      log: (line) => notes.push(line),
      ...(redis && { redis }),
      ...(sqliteFile && { sqliteFile }),
    };
    const fault = scenario.act?.(ctx) ?? Promise.resolve("");
    const faultOver = fault.catch(() => "");

    for (let i = 0; i < scenario.messages; i++) {
      await at(i * scenario.paceMs);
      const conversation = i % scenario.conversations;
      const n = Math.floor(i / scenario.conversations);
      const tag = messageTag(conversation, n);
      const text = `question ${tag} please`;
      if (uses("telegram")) {
        const { user, chat } = tgChats[conversation]!;
        telegram.userSays(chat, user, text);
        ledgers.get("telegram")!.recordSent({ tag, conversation, n, at: Date.now() });
      }
      if (uses("slack")) {
        const { user, dm } = slackDms[conversation]!;
        const { events } = await slack.userSays(user, dm, text);
        ledgers.get("slack")!.recordSent({ tag, conversation, n, at: Date.now() });
        for (const event of events) {
          const delivery = deliverLikeSlack(bridge.url, event, slackStats, faultOver).then(
            ({ arrivedAt, storedBy }) => {
              if (arrivedAt === undefined) ledgers.get("slack")!.markUndeliverable(tag);
              else ledgers.get("slack")!.markArrived(tag, arrivedAt, storedBy);
            },
          );
          deliveries.add(delivery);
          void delivery.finally(() => deliveries.delete(delivery));
        }
      }
    }
    const faultNotes = await fault;
    if (faultNotes) notes.unshift(faultNotes);
    await Promise.all(deliveries);
    slackNotes = describeDeliveries(slackStats);
    const lastKill = Math.max(0, ...[...ledgers.values()].flatMap((l) => l.kills.map((k) => k.at)));
    const answeredAll = await progress.allAnswered(scenario.drainTimeoutMs);
    // Duplicates can come late: a killed process's backlog is taken over only when its lease lapses,
    // so after kills the run stays up until that takeover has happened before it is tallied.
    if (lastKill > 0) await untilTime(lastKill + BACKLOG_LEASE_MS + 3_000);
    if (!answeredAll) notes.push(`not all answered within ${scenario.drainTimeoutMs / 1000} s`);
  } finally {
    supervisor.stopWatching();
    await bridge.close();
    for (const close of closers.reverse()) await close().catch(() => {});
  }
  if (supervisor.crashes > 0) notes.push(`${supervisor.crashes} unplanned exits (restarted)`);
  notes.push(`log ${logFile}`);
  return scenario.platforms.map((platform) => {
    const ledger = ledgers.get(platform)!;
    const t = ledger.tally();
    const platformNotes = [...notes];
    if (platform === "slack" && slackNotes) platformNotes.unshift(slackNotes);
    if (t.undeliverable > 0) platformNotes.unshift(`${t.undeliverable} lost never got a 2xx from the bridge`);
    if (t.otherPosts > 0)
      platformNotes.unshift(
        `${t.otherPosts} posts quoting no message (apologies, or placeholders a kill left behind)`,
      );
    return {
      fault: scenario.fault,
      store: scenario.store,
      platform,
      sent: t.sent,
      answered: t.answered,
      duplicated: t.duplicated,
      lost: t.lost,
      outOfOrder: t.outOfOrder,
      killsInWindow: ledger.killsInWindow(),
      duplicatesInWindow: t.duplicatesInKillWindow,
      notes: platformNotes.join("; "),
      seconds: Math.round((Date.now() - began) / 1000),
      detail: {
        duplicatedTags: t.duplicatedTags,
        lostTags: t.lostTags,
        outOfOrderTags: t.outOfOrderTags,
        unexplained: t.unexplained,
        overtakes: t.overtakes,
      },
    };
  });
}

/** Restarts the bridge when it exits on its own, as systemd or Kubernetes would, and counts it. */
class Supervisor {
  crashes = 0;
  private expected = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly bridge: BridgeProcess) {}

  watch(): void {
    this.timer = setInterval(() => {
      if (this.bridge.running) {
        this.expected = false;
        return;
      }
      if (this.expected) return;
      this.crashes += 1;
      this.bridge.start();
    }, 200);
    this.timer.unref();
  }

  /** The next exit is the harness's own doing (a kill or the final stop). */
  expectExit(): void {
    this.expected = true;
  }

  stopWatching(): void {
    clearInterval(this.timer);
  }
}

/** How Slack's deliveries went: failed attempts by kind, and events that needed a retry. */
export interface SlackDeliveryStats {
  /** Events that took more than one attempt (delivered late, or never). */
  retried: number;
  /** Attempts answered with a non-2xx status. */
  refused: number;
  /** Attempts without an answer within 3 s. */
  timedOut: number;
  /** Attempts the bridge never read (it was down: the connection refused, or reset unread). */
  unreachable: number;
  /** Attempts whose connection closed after the request, unanswered (the bridge killed holding it). */
  cutOff: number;
}

function describeDeliveries(stats: SlackDeliveryStats): string {
  if (stats.retried === 0) return "";
  return (
    `${stats.retried} Slack events needed retries (failed attempts: ${stats.timedOut} timed out, ` +
    `${stats.refused} non-2xx, ${stats.cutOff} cut off, ${stats.unreachable} unreachable)`
  );
}

/** Resolves when every message sent so far on every platform has been quoted by a reply. */
class Progress {
  private waiters: Array<() => void> = [];

  constructor(private readonly ledgers: Map<PlatformName, Ledger>) {}

  check(): void {
    if (![...this.ledgers.values()].every((l) => l.allAnswered())) return;
    for (const done of this.waiters.splice(0)) done();
  }

  allAnswered(timeoutMs: number): Promise<boolean> {
    if ([...this.ledgers.values()].every((l) => l.allAnswered())) return Promise.resolve(true);
    return new Promise((done) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        done(true);
      });
    });
  }
}

/**
 * Posts an Events API body to the bridge as Slack does: signed, counted as delivered only on a 2xx
 * within 3 s, otherwise posted again with x-slack-retry-num, up to 3 retries (the last one once the
 * fault is over). Says when the bridge got it; nothing when Slack would have given up.
 */
export async function deliverLikeSlack(
  bridgeUrl: string,
  event: EventCallback,
  stats: SlackDeliveryStats,
  faultOver: Promise<unknown>,
): Promise<{ arrivedAt?: number; storedBy?: number }> {
  const body = JSON.stringify(event);
  /** The first attempt that may have reached the bridge but got no 2xx: it may have taken it then. */
  let reachedAt: number | undefined;
  for (let attempt = 0; attempt <= SLACK_RETRY_DELAYS_MS.length; attempt++) {
    if (attempt > 0) await untilTime(Date.now() + SLACK_RETRY_DELAYS_MS[attempt - 1]!);
    if (attempt === SLACK_RETRY_DELAYS_MS.length) await faultOver;
    const ts = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "x-slack-request-timestamp": String(ts),
      "x-slack-signature": slackSignature(SLACK_SIGNING_SECRET, ts, body),
    };
    if (attempt > 0) {
      headers["x-slack-retry-num"] = String(attempt);
      headers["x-slack-retry-reason"] = "http_timeout";
    }
    const startedAt = Date.now();
    try {
      const response = await fetch(`${bridgeUrl}/slack/events`, {
        method: "POST",
        headers,
        body,
        signal: AbortSignal.timeout(SLACK_ACK_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      if (response.status >= 200 && response.status < 300) {
        if (attempt > 0) stats.retried += 1;
        return { arrivedAt: reachedAt ?? startedAt, storedBy: Date.now() };
      }
      stats.refused += 1;
    } catch (error) {
      // Slack retries. No answer within 3 s, or the connection closed after the request with no
      // answer (the bridge was killed while it had the event): the bridge may have stored the
      // message then. Refused or reset (the bridge down, or killed before it read the request): not.
      if ((error as Error).name === "TimeoutError") {
        stats.timedOut += 1;
        reachedAt ??= startedAt;
      } else if (closedWithoutAnswer(error)) {
        stats.cutOff += 1;
        reachedAt ??= startedAt;
      } else stats.unreachable += 1;
    }
  }
  stats.retried += 1;
  return {};
}

/**
 * fetch failed because the bridge closed the connection after it had read the request, without
 * answering (undici: "other side closed"). A connection refused or reset (ECONNREFUSED, ECONNRESET:
 * the process gone before it read the request) is not this.
 */
function closedWithoutAnswer(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return cause?.code === "UND_ERR_SOCKET";
}

function assistantEnvFor(assistant: AssistantEmulator): Record<string, string> {
  return {
    MYGPT_API_URL: assistant.url,
    MYGPT_API_KEY: assistant.apiKey,
    MYGPT_BOT_ID: assistant.botId,
  };
}

/** A timer to a point in time: the pace of the message stream and the moments faults strike. */
export function untilTime(when: number): Promise<void> {
  const wait = when - Date.now();
  if (wait <= 0) return Promise.resolve();
  return new Promise((done) => setTimeout(done, wait));
}

/** Runs a node script to completion and resolves with its output once `marker` is printed. */
export function spawnNode(
  script: string,
  args: string[],
  marker: string,
): { printed: Promise<void>; exited: Promise<number | null>; child: ChildProcess } {
  const child = spawn(process.execPath, [resolve(HERE, script), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const printed = new Promise<void>((done, fail) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(marker)) done();
    });
    child.once("exit", (code) =>
      fail(new Error(`${script} exited with ${code} before "${marker}": ${output}`)),
    );
  });
  let errors = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const exited = new Promise<number | null>((done) =>
    child.once("exit", (code) => {
      if (code !== 0) process.stderr.write(`${script}: ${errors}\n`);
      done(code);
    }),
  );
  return { printed, exited, child };
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}
