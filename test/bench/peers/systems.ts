// The systems the peers bench compares, each started as its own process against the emulators:
// the two peers (compiled from their .ts to plain JS first, so no TypeScript loader inflates their
// memory) and mygpt-bridge exactly as an operator runs it (the compiled `dist/src/cli/bin.js start`
// that `npm ci` builds, or the sources through tsx in a checkout without a build; Telegram only).
// Also reads a process's CPU time and RSS from /proc.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import type { TelegramEmulator } from "../../emulators/telegram/emulator.js";

export type SystemId = "grammy" | "chatsdk" | "ours-sqlite" | "ours-redis";

export const SYSTEM_NAMES: Record<SystemId, string> = {
  grammy: "bare grammY",
  chatsdk: "Chat SDK 4.41",
  "ours-sqlite": "mygpt-bridge (SQLite)",
  "ours-redis": "mygpt-bridge (Redis)",
};

export interface Endpoints {
  telegram: TelegramEmulator;
  assistantUrl: string;
  apiKey: string;
  botId: string;
  /** MYGPT_CHAT_RATE for ours (the peers have no budget). */
  chatRate: string;
  /** Ours only: where the store lives. */
  storeUrl?: string;
  /** Ours only: working directory (the SQLite file goes here). */
  cwd?: string;
}

export interface Running {
  pid: number;
  /** User + system CPU time of the process so far, in ms. */
  cpuMs(): number;
  /** Resident set size now, in MiB. */
  rssMiB(): number;
  stop(): Promise<void>;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const BUILD = join(ROOT, "node_modules/.cache/mygpt-bench-peers");
const CLOCK_TICK_MS = 10;

/** The mygpt-bridge checkout run as "ours": PEERS_BRIDGE_DIR (e.g. an older commit) or this one. */
export function bridgeDir(): string {
  return resolve(process.env.PEERS_BRIDGE_DIR ?? ROOT);
}

/** Transpiles a peer to .mjs under node_modules/.cache, where its imports still resolve. */
function compilePeer(name: "bare-grammy" | "chat-sdk"): string {
  const source = readFileSync(join(ROOT, "test/bench/peers", `${name}.ts`), "utf8");
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  mkdirSync(BUILD, { recursive: true });
  const file = join(BUILD, `${name}.mjs`);
  writeFileSync(file, outputText);
  return file;
}

export async function startSystem(id: SystemId, at: Endpoints): Promise<Running> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    TELEGRAM_BOT_TOKEN: at.telegram.token,
    TELEGRAM_API_ROOT: at.telegram.apiRoot,
    MYGPT_API_URL: at.assistantUrl,
    MYGPT_API_KEY: at.apiKey,
    MYGPT_BOT_ID: at.botId,
  };
  let args: string[];
  let cwd = ROOT;
  if (id === "grammy") args = [compilePeer("bare-grammy")];
  else if (id === "chatsdk") args = [compilePeer("chat-sdk")];
  else {
    const compiled = join(bridgeDir(), "dist/src/cli/bin.js");
    args = [existsSync(compiled) ? compiled : join(bridgeDir(), "src/cli/bin.mjs"), "start"];
    // PEERS_CPU_PROF=<folder>: a V8 CPU profile of ours per run (open it in Chrome DevTools).
    if (process.env.PEERS_CPU_PROF)
      args.unshift("--cpu-prof", "--cpu-prof-dir", resolve(process.env.PEERS_CPU_PROF));
    // PEERS_NODE_OPTIONS: node flags for ours only (e.g. to try V8 heap sizes).
    if (process.env.PEERS_NODE_OPTIONS) env.NODE_OPTIONS = process.env.PEERS_NODE_OPTIONS;
    cwd = at.cwd ?? ROOT;
    Object.assign(env, {
      HOME: cwd,
      MYGPT_CHAT_RATE: at.chatRate,
      STORE_URL: at.storeUrl ?? "sqlite://./bridge.sqlite",
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "warn",
    });
  }
  const ready = whenReady(at.telegram);
  const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
  let errors = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    errors = (errors + chunk.toString()).slice(-4000);
  });
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`${SYSTEM_NAMES[id]} exited with ${code} before it was ready:\n${errors}`);
  });
  exited.catch(() => {});
  await Promise.race([ready, exited, timeout(60_000, `${SYSTEM_NAMES[id]} was not ready within 60 s`)]);
  const pid = child.pid!;
  return {
    pid,
    cpuMs: () => cpuMs(pid),
    rssMiB: () => rssMiB(pid),
    stop: () => stop(child),
  };
}

/** Ready = polling for updates (long polling) or its webhook registered (Chat SDK). */
function whenReady(telegram: TelegramEmulator): Promise<void> {
  return new Promise((done) => {
    const onPoll = () => finish();
    const onCall = (call: { method: string; status: number }) => {
      if (call.method === "setWebhook" && call.status === 200) finish();
    };
    const finish = () => {
      telegram.off("pollWaiting", onPoll);
      telegram.off("call", onCall);
      done();
    };
    telegram.on("pollWaiting", onPoll);
    telegram.on("call", onCall);
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(killer);
}

function timeout(ms: number, message: string): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(message)), ms).unref());
}

export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at index 2: utime is 13, stime 14.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
}

export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}
