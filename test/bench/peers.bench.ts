// Ours beside its peers (BENCHMARK-METHOD.md): a bare grammY bot, Vercel's Chat SDK, and
// mygpt-bridge on SQLite and on Redis, each its own process, one after the other, against the same
// Telegram emulator and assistant emulator (both in this process, fresh for every run of a system).
// Scenarios: overhead (closed loop of 20 chats x 25 messages, then a burst of 2,000 in 200 chats, no
// budget, instant assistant), memory (idle RSS, then 5,000 messages waiting for a 1 per 10 s budget)
// and conversations (one new private chat per message: RSS every 10,000, store size per one).
// Prints one table of ratios against the targets and writes the figures as JSON. Two benches:
// `peers` (overhead and memory), `peers-conversations` (long: ours answers tens per second here)
// and `peers-overload` (overload and fairness under a tight budget, figures without targets).
// Environment: PEERS_SYSTEMS=grammy,chatsdk,ours-sqlite,ours-redis (default all),
// PEERS_CONVERSATIONS (default 20000, a multiple of 10000), PEERS_RESULTS (folder for the JSON,
// default test/bench/results),
// PEERS_BRIDGE_DIR (another mygpt-bridge checkout to run as ours, e.g. a "before" commit).
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { createClient } from "@redis/client";
import {
  type AssistantEmulator,
  type RecordedRequest,
  startAssistantEmulator,
} from "../emulators/assistant/index.js";
import { TelegramEmulator } from "../emulators/telegram/emulator.js";
import { type RedisServer, startRedis } from "../support/redis.js";
import { bridgeDir, type Running, SYSTEM_NAMES, type SystemId, startSystem } from "./peers/systems.js";
import { Tracker } from "./peers/tracker.js";
import { type BenchResult, markdownTable, percentile, type Row, round } from "./table.js";

const LOOP_CHATS = 20;
const LOOP_MESSAGES_PER_CHAT = 25;
const BURST_CHATS = 200;
const BURST_MESSAGES = 2_000;
const WAITING_CHATS = 1_000;
const WAITING_PER_CHAT = 5;
const WAITING_BUDGET = { limit: 1, windowMs: 10_000 };
const NO_BUDGET = { limit: 1_000_000_000, windowMs: 60_000 };
const CONVERSATIONS_IN_FLIGHT = 50;
const STEP = 10_000;

const ALL: SystemId[] = ["grammy", "chatsdk", "ours-sqlite", "ours-redis"];

interface Figures {
  loop: {
    p50Ms: number;
    p99Ms: number;
    repliesPerS: number;
    cpuMsPerReply: number;
    answered: number;
    of: number;
  };
  burst: {
    allAnsweredS: number;
    medianMs: number;
    medianFromSendMs: number;
    /** Chat calls the assistant received for the burst: fewer than messages where a bot merges. */
    assistantCalls: number;
    answered: number;
    of: number;
  };
  memory: { idleMiB: number; waitingMiB: number; growthMiB: number; errorReplies: number };
  conversations: {
    /** RSS (MiB) after each 10,000 conversations answered. */
    rssAt: Array<{ conversations: number; rssMiB: number; seconds: number }>;
    growthPer10kMiB: number;
    storeBytesPerConversation?: number;
    answered: number;
    of: number;
  };
}

interface OverloadFigures {
  overload: {
    answered: number;
    of: number;
    errorReplies: number;
    notices: number;
    duplicated: number;
    refused429: number;
    worstWindow: number;
  };
  fairness: { answered: number; of: number; p50Slots: number; p95Slots: number; maxSlots: number };
}

/** One system's figures from the scenarios that ran. */
type SystemFigures = Partial<Figures> &
  Partial<OverloadFigures> & { id: SystemId; name: string; seconds: number };

interface Setup {
  system: SystemId;
  chatLimit: { limit: number; windowMs: number };
  chatRate: string;
}

/** A system started against fresh emulators (and a fresh store for ours). */
interface Session {
  proc: Running;
  assistant: AssistantEmulator;
  telegram: TelegramEmulator;
  tracker: Tracker;
  storeBytes(): Promise<number | undefined>;
  close(): Promise<void>;
}

async function open({ system, chatLimit, chatRate }: Setup): Promise<Session> {
  const telegram = new TelegramEmulator();
  await telegram.start();
  const assistant = await startAssistantEmulator({ chatLimit });
  const tracker = new Tracker(telegram);
  const cwd = mkdtempSync(join(tmpdir(), "bench-peers-"));
  let redis: RedisServer | undefined;
  let storeUrl: string | undefined;
  if (system === "ours-sqlite") storeUrl = `sqlite://${join(cwd, "bridge.sqlite")}`;
  if (system === "ours-redis") {
    redis = await startRedis();
    storeUrl = redis.url;
  }
  const redisUsed = async (): Promise<number> => {
    const client = createClient({ url: redis!.url });
    await client.connect();
    const info = await client.info("memory");
    await client.quit();
    return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
  };
  const redisBefore = redis ? await redisUsed() : 0;
  const proc = await startSystem(system, {
    telegram,
    assistantUrl: assistant.url,
    apiKey: assistant.apiKey,
    botId: assistant.botId,
    chatRate,
    storeUrl,
    cwd,
  });
  return {
    proc,
    assistant,
    telegram,
    tracker,
    async storeBytes() {
      if (system === "ours-sqlite") {
        return readdirSync(cwd)
          .filter((f) => f.startsWith("bridge.sqlite"))
          .reduce((sum, f) => sum + statSync(join(cwd, f)).size, 0);
      }
      if (redis) return (await redisUsed()) - redisBefore;
      return undefined;
    },
    async close() {
      await proc.stop();
      await telegram.close();
      await assistant.close();
      await redis?.stop();
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

/** Waits until the process has used under 30 ms of CPU in a second (or maxMs passed). */
async function settle(proc: Running, maxMs = 30_000): Promise<void> {
  const until = performance.now() + maxMs;
  let last = proc.cpuMs();
  while (performance.now() < until) {
    await sleep(1_000);
    const now = proc.cpuMs();
    if (now - last < 30) return;
    last = now;
  }
}

async function overhead(system: SystemId): Promise<Pick<Figures, "loop" | "burst">> {
  const s = await open({ system, chatLimit: NO_BUDGET, chatRate: `${NO_BUDGET.limit}/60s` });
  try {
    const { telegram, tracker, proc } = s;
    const warm = telegram.createUser();
    const warmChat = telegram.privateChat(warm);
    for (let i = 0; i < 5; i++) await tracker.answered(tracker.send(warm, warmChat, "warm-up"));

    const loopIds: number[] = [];
    const cpuBefore = proc.cpuMs();
    const loopStart = performance.now();
    await Promise.all(
      Array.from({ length: LOOP_CHATS }, async () => {
        const user = telegram.createUser();
        const chat = telegram.privateChat(user);
        for (let i = 0; i < LOOP_MESSAGES_PER_CHAT; i++) {
          const id = tracker.send(user, chat);
          loopIds.push(id);
          await withTimeout(tracker.answered(id), 60_000);
        }
      }),
    );
    const loopSeconds = (performance.now() - loopStart) / 1000;
    const loopCpu = proc.cpuMs() - cpuBefore;
    const loopLatencies = tracker.addedLatencies(loopIds);

    await settle(proc, 5_000);
    const chats = Array.from({ length: BURST_CHATS }, () => {
      const user = telegram.createUser();
      return { user, chat: telegram.privateChat(user) };
    });
    const before = tracker.answeredTotal;
    let assistantCalls = 0;
    const countCall = (request: RecordedRequest) => {
      if (request.kind === "chat") assistantCalls++;
    };
    s.assistant.on("request", countCall);
    const burstIds: number[] = [];
    const burstStart = performance.now();
    for (let i = 0; i < BURST_MESSAGES; i++) {
      const { user, chat } = chats[i % BURST_CHATS]!;
      burstIds.push(tracker.send(user, chat));
    }
    await tracker.answeredAtLeast(before + BURST_MESSAGES, 120_000);
    s.assistant.off("request", countCall);
    const burstLatencies = tracker.addedLatencies(burstIds);
    return {
      loop: {
        p50Ms: round(percentile(loopLatencies, 50), 1),
        p99Ms: round(percentile(loopLatencies, 99), 1),
        repliesPerS: round(loopLatencies.length / loopSeconds, 0),
        cpuMsPerReply: round(loopCpu / Math.max(1, loopLatencies.length), 2),
        answered: loopLatencies.length,
        of: loopIds.length,
      },
      burst: {
        allAnsweredS: round((tracker.lastAnswerAt - burstStart) / 1000, 2),
        medianMs: round(percentile(burstLatencies, 50), 0),
        medianFromSendMs: round(
          percentile(burstIds.map((id) => tracker.waitMs(id)).filter(Number.isFinite), 50),
          0,
        ),
        assistantCalls,
        answered: burstLatencies.length,
        of: BURST_MESSAGES,
      },
    };
  } finally {
    await s.close();
  }
}

async function memory(system: SystemId): Promise<Figures["memory"]> {
  const s = await open({
    system,
    chatLimit: WAITING_BUDGET,
    chatRate: `${WAITING_BUDGET.limit}/${WAITING_BUDGET.windowMs / 1000}s`,
  });
  try {
    const { telegram, tracker, proc } = s;
    await settle(proc, 10_000);
    const idleMiB = proc.rssMiB();
    const errorsBefore = telegram.sent.length;
    for (let c = 0; c < WAITING_CHATS; c++) {
      const user = telegram.createUser();
      const chat = telegram.privateChat(user);
      for (let i = 0; i < WAITING_PER_CHAT; i++) tracker.send(user, chat);
    }
    const until = performance.now() + 120_000;
    while (telegram.webhookInfo.pendingUpdateCount > 0 && performance.now() < until) await sleep(250);
    await settle(proc, 60_000);
    const waitingMiB = proc.rssMiB();
    return {
      idleMiB: round(idleMiB, 1),
      waitingMiB: round(waitingMiB, 1),
      growthMiB: round(waitingMiB - idleMiB, 1),
      errorReplies: telegram.sent.length - errorsBefore - tracker.answeredTotal,
    };
  } finally {
    await s.close();
  }
}

async function conversations(system: SystemId, total: number): Promise<Figures["conversations"]> {
  const s = await open({ system, chatLimit: NO_BUDGET, chatRate: `${NO_BUDGET.limit}/60s` });
  try {
    const { telegram, tracker, proc } = s;
    const rssAt: Figures["conversations"]["rssAt"] = [];
    const started = performance.now();
    let next = 0;
    let stalled = false;
    const worker = async () => {
      while (next < total && !stalled) {
        next++;
        const user = telegram.createUser();
        const id = tracker.send(user, telegram.privateChat(user));
        if (
          !(await withTimeout(tracker.answered(id), 60_000).then(
            () => true,
            () => false,
          ))
        ) {
          stalled = true;
          return;
        }
        const done = tracker.answeredTotal;
        if (done % STEP === 0) {
          rssAt.push({
            conversations: done,
            rssMiB: round(proc.rssMiB(), 1),
            seconds: round((performance.now() - started) / 1000, 1),
          });
        }
      }
    };
    await Promise.all(Array.from({ length: CONVERSATIONS_IN_FLIGHT }, worker));
    const first = rssAt[0];
    const last = rssAt.at(-1);
    const steps = first && last ? (last.conversations - first.conversations) / STEP : 0;
    const storeBytes = await s.storeBytes();
    const figures: Figures["conversations"] = {
      rssAt,
      growthPer10kMiB: steps > 0 ? round((last!.rssMiB - first!.rssMiB) / steps, 1) : Number.NaN,
      answered: tracker.answeredTotal,
      of: total,
    };
    if (storeBytes !== undefined)
      figures.storeBytesPerConversation = round(storeBytes / Math.max(1, tracker.answeredTotal), 0);
    return figures;
  } finally {
    await s.close();
  }
}

const OVERLOAD = { limit: 20, windowMs: 4_000, chats: 50, messages: 300, windows: 5 };
const FAIRNESS = { limit: 10, windowMs: 2_000, flood: 60, others: 20, othersAfterMs: 300, slotMs: 200 };

/** Waits until every id is answered, or nothing was replied for quietMs, or capMs passed. */
async function answeredOrQuiet(tracker: Tracker, ids: number[], quietMs: number, capMs: number) {
  const until = performance.now() + capMs;
  let seen = -1;
  let changedAt = performance.now();
  while (performance.now() < until && !ids.every((id) => tracker.isAnswered(id))) {
    await sleep(250);
    const now = tracker.answeredTotal + tracker.errorReplies + tracker.notices;
    if (now !== seen) {
      seen = now;
      changedAt = performance.now();
    } else if (performance.now() - changedAt > quietMs) return;
  }
}

async function overload(system: SystemId): Promise<OverloadFigures["overload"]> {
  const { limit, windowMs, chats, messages, windows } = OVERLOAD;
  const s = await open({ system, chatLimit: { limit, windowMs }, chatRate: `${limit}/${windowMs / 1000}s` });
  try {
    const { telegram, tracker, assistant } = s;
    const people = Array.from({ length: chats }, () => {
      const user = telegram.createUser();
      return { user, chat: telegram.privateChat(user) };
    });
    const ids: number[] = [];
    const gap = (windows * windowMs) / messages;
    const started = performance.now();
    for (let i = 0; i < messages; i++) {
      const { user, chat } = people[i % chats]!;
      ids.push(tracker.send(user, chat));
      await sleep(Math.max(0, started + (i + 1) * gap - performance.now()));
    }
    await answeredOrQuiet(tracker, ids, 15_000, 180_000);
    const calls = assistant.requests.filter((r) => r.kind === "chat");
    return {
      answered: ids.filter((id) => tracker.isAnswered(id)).length,
      of: messages,
      errorReplies: tracker.errorReplies,
      notices: tracker.notices,
      duplicated: tracker.duplicates,
      refused429: calls.filter((r) => r.status === 429).length,
      worstWindow: assistant.maxChatCallsInAnyWindow(),
    };
  } finally {
    await s.close();
  }
}

async function fairness(system: SystemId): Promise<OverloadFigures["fairness"]> {
  const { limit, windowMs, flood, others, othersAfterMs, slotMs } = FAIRNESS;
  const s = await open({ system, chatLimit: { limit, windowMs }, chatRate: `${limit}/${windowMs / 1000}s` });
  try {
    const { telegram, tracker } = s;
    const a = telegram.createUser();
    const aChat = telegram.privateChat(a);
    for (let i = 0; i < flood; i++) tracker.send(a, aChat);
    await sleep(othersAfterMs);
    const ids = Array.from({ length: others }, () => {
      const user = telegram.createUser();
      return tracker.send(user, telegram.privateChat(user));
    });
    await answeredOrQuiet(tracker, ids, 15_000, 120_000);
    const slots = ids.map((id) => tracker.waitMs(id) / slotMs).filter((w) => Number.isFinite(w));
    return {
      answered: slots.length,
      of: others,
      p50Slots: round(percentile(slots, 50), 1),
      p95Slots: round(percentile(slots, 95), 1),
      maxSlots: slots.length > 0 ? round(Math.max(...slots), 1) : Number.NaN,
    };
  } finally {
    await s.close();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

interface Measure {
  label: string;
  value: (f: SystemFigures) => number | undefined;
  /** Ours / bare grammY must be at most this. */
  target?: { max: number };
}

const MEASURES: Measure[] = [
  { label: "added latency p50, closed loop (ms)", value: (f) => f.loop?.p50Ms, target: { max: 1 } },
  { label: "added latency p99, closed loop (ms)", value: (f) => f.loop?.p99Ms, target: { max: 1 } },
  { label: "replies per second, closed loop", value: (f) => f.loop?.repliesPerS },
  { label: "CPU per reply, closed loop (ms)", value: (f) => f.loop?.cpuMsPerReply, target: { max: 1.5 } },
  { label: "burst of 2,000: all answered (s)", value: (f) => f.burst?.allAnsweredS, target: { max: 1 } },
  { label: "burst of 2,000: median added latency (ms)", value: (f) => f.burst?.medianMs, target: { max: 2 } },
  // What the user waits: a bot that takes updates in slowly leaves them waiting in Telegram, where
  // added latency does not count them.
  { label: "burst of 2,000: median from send (ms)", value: (f) => f.burst?.medianFromSendMs },
  // Why ours' median waits inside it: its queue merges a chat's waiting messages into one call.
  { label: "burst of 2,000: assistant calls", value: (f) => f.burst?.assistantCalls },
  { label: "idle RSS, ready (MiB)", value: (f) => f.memory?.idleMiB, target: { max: 1.2 } },
  { label: "RSS growth, 5,000 waiting (MiB)", value: (f) => f.memory?.growthMiB, target: { max: 0.5 } },
  {
    label: "RSS growth per 10,000 conversations (MiB)",
    value: (f) => f.conversations?.growthPer10kMiB,
    target: { max: 2 },
  },
  { label: "store bytes per conversation", value: (f) => f.conversations?.storeBytesPerConversation },
];

function ratio(ours: number | undefined, peer: number | undefined): number | undefined {
  if (ours === undefined || peer === undefined || !Number.isFinite(ours) || !Number.isFinite(peer)) return;
  if (peer <= 0) return;
  return round(ours / peer, 2);
}

function summary(results: Map<SystemId, SystemFigures>): { rows: Row[]; failed: string[] } {
  const cell = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? "-" : v);
  const ours = results.get("ours-sqlite");
  const grammy = results.get("grammy");
  const chatsdk = results.get("chatsdk");
  const failed: string[] = [];
  const measured = MEASURES.filter((m) => [...results.values()].some((f) => m.value(f) !== undefined));
  const rows = measured.map((m) => {
    const row: Row = { measure: m.label };
    for (const id of ALL) {
      const f = results.get(id);
      if (f) row[SYSTEM_NAMES[id]] = cell(m.value(f));
    }
    const vsGrammy = ours && grammy ? ratio(m.value(ours), m.value(grammy)) : undefined;
    const vsChat = ours && chatsdk ? ratio(m.value(ours), m.value(chatsdk)) : undefined;
    row["ours/grammY"] = vsGrammy === undefined ? "-" : `${vsGrammy}x`;
    row["ours/Chat SDK"] = vsChat === undefined ? "-" : `${vsChat}x`;
    const t = m.target;
    row.target = t ? `≤ ${t.max}x grammY` : "-";
    let met = "-";
    const oursValue = ours ? m.value(ours) : undefined;
    const grammyValue = grammy ? m.value(grammy) : undefined;
    if (t && vsGrammy !== undefined) met = vsGrammy <= t.max ? "yes" : "NO";
    else if (t && oursValue !== undefined && grammyValue !== undefined && grammyValue <= 0) {
      // A peer that did not grow (or shrank) leaves no ratio: ours meets it only by not growing.
      row["ours/grammY"] = "peer ≤ 0";
      met = oursValue <= 0 ? "yes" : "NO";
    }
    if (met === "NO") failed.push(m.label);
    row.met = met;
    return row;
  });
  return { rows, failed };
}

function details(results: Map<SystemId, SystemFigures>): Row[] {
  return [...results.values()].map((f) => {
    const row: Row = { system: f.name };
    if (f.loop) row["loop answered"] = `${f.loop.answered}/${f.loop.of}`;
    if (f.burst) row["burst answered"] = `${f.burst.answered}/${f.burst.of}`;
    if (f.memory) {
      row["RSS idle → 5,000 waiting (MiB)"] = `${f.memory.idleMiB} → ${f.memory.waitingMiB}`;
      row["other replies while waiting (errors, notices)"] = f.memory.errorReplies;
    }
    if (f.conversations) {
      row["RSS every 10k conversations (MiB)"] =
        f.conversations.rssAt.map((r) => r.rssMiB).join(" → ") || "-";
      row["conversations answered"] = `${f.conversations.answered}/${f.conversations.of}`;
    }
    if (f.overload) {
      const o = f.overload;
      row["overload: answered"] = `${o.answered}/${o.of}`;
      row["error replies"] = o.errorReplies;
      row.notices = o.notices;
      row.duplicated = o.duplicated;
      row["429s"] = o.refused429;
      row["worst 4 s window"] = `${o.worstWindow}/${OVERLOAD.limit}`;
    }
    if (f.fairness) {
      const w = f.fairness;
      row["fairness: the 20 answered"] = `${w.answered}/${w.of}`;
      row["their wait p50/p95/max (200 ms slots)"] = `${w.p50Slots} / ${w.p95Slots} / ${w.maxSlots}`;
    }
    row["run (s)"] = f.seconds;
    return row;
  });
}

export function machine(): { nproc: number; cpu: string; node: string } {
  return { nproc: cpus().length, cpu: cpus()[0]?.model ?? "unknown", node: process.version };
}

/** `peers`: overhead and memory, every system (a few minutes). */
export function benchPeers(): Promise<BenchResult> {
  return run("peers", async (id, lap) => {
    const figures: Partial<Figures> = await overhead(id);
    lap("overhead");
    figures.memory = await memory(id);
    lap("memory");
    return figures;
  });
}

/** `peers-conversations`: RSS and store size as distinct conversations pile up (long). */
export function benchPeerConversations(): Promise<BenchResult> {
  const total = Math.max(2 * STEP, Number(process.env.PEERS_CONVERSATIONS ?? 20_000));
  return run(
    "peers-conversations",
    async (id, lap) => {
      const figures = { conversations: await conversations(id, total) };
      lap(`${total} conversations`);
      return figures;
    },
    `conversations 10k → ${total / 1000}k`,
  );
}

/** `peers-overload`: overload and fairness under a tight budget, every system (a few minutes). */
export function benchPeerOverload(): Promise<BenchResult> {
  return run("peers-overload", async (id, lap) => {
    const figures: Partial<OverloadFigures> = { overload: await overload(id) };
    lap("overload");
    figures.fairness = await fairness(id);
    lap("fairness");
    return figures;
  });
}

async function run(
  name: string,
  scenarios: (
    id: SystemId,
    lap: (label: string) => void,
  ) => Promise<Partial<Figures> & Partial<OverloadFigures>>,
  note?: string,
): Promise<BenchResult> {
  const systems = (process.env.PEERS_SYSTEMS?.split(",") ?? ALL).filter((s): s is SystemId =>
    ALL.includes(s as SystemId),
  );
  const results = new Map<SystemId, SystemFigures>();
  for (const id of systems) {
    const started = performance.now();
    const lap = (label: string) =>
      process.stderr.write(` ${label} (${round((performance.now() - started) / 1000, 0)} s)`);
    process.stderr.write(`${name}: ${SYSTEM_NAMES[id]}:`);
    const figures = await scenarios(id, lap);
    process.stderr.write("\n");
    const seconds = round((performance.now() - started) / 1000, 0);
    results.set(id, { id, name: SYSTEM_NAMES[id], seconds, ...figures });
  }
  const { rows, failed } = summary(results);
  const detailRows = details(results);
  const out = join(
    process.env.PEERS_RESULTS ?? join(dirname(fileURLToPath(import.meta.url)), "results"),
    `${name}-latest.json`,
  );
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        machine: machine(),
        bench: name,
        bridge: bridgeDir(),
        systems: [...results.values()],
        summary: rows,
        details: detailRows,
      },
      null,
      2,
    )}\n`,
  );
  if (rows.length > 0) console.log(`## ${name}: per-system details\n\n${markdownTable(detailRows)}\n`);
  console.log(`(JSON: ${out})\n`);
  const m = machine();
  return {
    rows: rows.length > 0 ? rows : detailRows,
    title: `${name}: ours beside its peers, same emulators, one run (${m.nproc} cores, ${m.cpu}, Node ${m.node}; ratios are ours on SQLite / peer${note ? `; ${note}` : ""})`,
    ok: failed.length === 0 && results.size > 0,
    verdict:
      failed.length === 0
        ? "every target against bare grammY met in this run"
        : `targets missed against bare grammY: ${failed.join("; ")}`,
  };
}
