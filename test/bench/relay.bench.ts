// Relay overhead: what the bridge adds on top of the assistant call itself. N messages across many
// conversations go through the real Bridge (relay, store, budget, client) with the in-test adapter,
// at a budget high enough never to throttle. The baseline calls the assistant client directly N
// times at the same concurrency: the same HTTP work with nothing around it, so the difference is
// the relay's cost (durable queueing, sessions, dedupe, splitting, posting).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import PQueue from "p-queue";
import { loadConfig } from "../../src/app/index.js";
import { createAssistantClient } from "../../src/assistant/index.js";
import { Bridge } from "../../src/bridge.js";
import { silentLogger } from "../../src/logger.js";
import { parseReply } from "../support/bridge-harness.js";
import { TestAdapter } from "../support/test-adapter.js";
import { startRemoteEmulator } from "./remote-emulator.js";
import { type BenchResult, percentile, round } from "./table.js";

const MESSAGES = 500;
/**
 * SQLite commits every write on its own; at ~15 ms per commit on the disk this was written on, 500
 * messages take minutes, so the sqlite row sends fewer (the per-message figures still compare).
 */
const SQLITE_MESSAGES = 50;
const CONVERSATIONS = 50;
const CONCURRENCY = 8;
const NO_THROTTLE = { limit: 100_000, windowMs: 60_000 };

interface Run {
  name: string;
  messages: number;
  wallMs: number;
  /** Per message: from handing it in to its reply being posted (or returned, for the baseline). */
  latencies: number[];
}

export async function benchRelay(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), "bench-relay-"));
  try {
    const baseline = await direct();
    const runs = [
      await throughBridge("memory://", dir, MESSAGES),
      await throughBridge(`sqlite://${join(dir, "b.sqlite")}`, dir, SQLITE_MESSAGES),
    ];
    const perMessage = (r: Run) => r.wallMs / r.messages;
    const rows = [baseline, ...runs].map((r) => ({
      path: r.name,
      messages: r.messages,
      "msgs/s": round(r.messages / (r.wallMs / 1000), 0),
      "p50 ms": round(percentile(r.latencies, 50), 0),
      "p95 ms": round(percentile(r.latencies, 95), 0),
      "overhead ms/msg": r === baseline ? "-" : round(perMessage(r) - perMessage(baseline), 2),
    }));
    const complete = runs.every((r) => r.latencies.length === r.messages);
    return {
      title: `Relay overhead: messages across ${CONVERSATIONS} conversations, concurrency ${CONCURRENCY}`,
      rows,
      ok: complete,
      verdict: complete
        ? "every message answered once; overhead ms/msg = wall ms per message minus the baseline's"
        : "some messages got no reply",
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function direct(): Promise<Run> {
  const emulator = await startRemoteEmulator({ chatLimit: NO_THROTTLE });
  try {
    const client = createAssistantClient({ baseUrl: emulator.url, apiKey: emulator.apiKey });
    await client.chat({ botId: emulator.botId, message: "warm-up" });
    const queue = new PQueue({ concurrency: CONCURRENCY });
    const started = performance.now();
    const latencies = await Promise.all(
      Array.from({ length: MESSAGES }, (_, i) => {
        const handedIn = performance.now();
        return queue
          .add(() => client.chat({ botId: emulator.botId, message: `bench ${i}` }))
          .then(() => performance.now() - handedIn);
      }),
    );
    return {
      name: "baseline: client.chat direct",
      messages: MESSAGES,
      wallMs: performance.now() - started,
      latencies,
    };
  } finally {
    await emulator.close();
  }
}

async function throughBridge(storeUrl: string, dir: string, messages: number): Promise<Run> {
  const emulator = await startRemoteEmulator({ chatLimit: NO_THROTTLE });
  const cwd = mkdtempSync(join(dir, "cwd-"));
  writeFileSync(
    join(cwd, "bridge.yaml"),
    `relay:\n  mergeQueuedMessages: false\n  concurrency: ${CONCURRENCY}\ncontacts:\n  enabled: false\n`,
  );
  const config = loadConfig({
    cwd,
    dotenv: false,
    env: {
      MYGPT_API_URL: emulator.url,
      MYGPT_API_KEY: emulator.apiKey,
      MYGPT_BOT_ID: emulator.botId,
      MYGPT_CHAT_RATE: `${NO_THROTTLE.limit}/${NO_THROTTLE.windowMs / 1000}s`,
      STORE_URL: storeUrl,
      CONFIG_FILE: "bridge.yaml",
      HOST: "127.0.0.1",
      PORT: "0",
    },
  });
  const adapter = new TestAdapter();
  const bridge = await Bridge.create({ config, adapters: [adapter], logger: silentLogger() });
  await bridge.start({ http: false });
  try {
    await adapter.say({ channel: "warm-up", text: "warm-up" });
    await adapter.waitForPosts(1);
    adapter.posted.length = 0;
    const handedIn = new Map<string, number>();
    const latencies: number[] = [];
    adapter.on("posted", (p: { text: string }) => {
      const at = handedIn.get(parseReply(p.text).message);
      if (at !== undefined) latencies.push(performance.now() - at);
    });
    const started = performance.now();
    const all = adapter.waitForPosts(messages, undefined, 120_000);
    await Promise.all(
      Array.from({ length: messages }, (_, i) => {
        const text = `bench ${i}`;
        handedIn.set(text, performance.now());
        const c = i % CONVERSATIONS;
        return adapter.say({ channel: `C${c}`, user: `U${c}`, text });
      }),
    );
    await all;
    return {
      name: `ours: Bridge on ${storeUrl.split(":")[0]}://`,
      messages,
      wallMs: performance.now() - started,
      latencies,
    };
  } finally {
    await bridge.stop();
    await emulator.close();
  }
}
