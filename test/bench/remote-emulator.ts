// Runs the assistant emulator in a child process, as a real API server runs apart from the bridge:
// the bench's own CPU work then cannot delay the server's clock or its answers, and the server's
// work is not billed to the code being measured. The parent reads the server's request log over IPC.
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { AssistantEmulatorOptions } from "../emulators/assistant/index.js";

export interface ServerStats {
  /** Chat calls that reached the server, refused ones included. */
  chatCalls: number;
  chat429s: number;
  maxChatCallsInAnyWindow: number;
  /** When each chat call arrived (ms since epoch) and its status, in arrival order. */
  chatLog: Array<{ at: number; status: number }>;
}

export interface RemoteEmulator {
  url: string;
  apiKey: string;
  botId: string;
  stats(): Promise<ServerStats>;
  close(): Promise<void>;
}

export type HostRequest = { type: "stats" } | { type: "close" };
export type HostReply =
  | { type: "ready"; url: string; apiKey: string; botId: string }
  | ({ type: "stats" } & ServerStats)
  | { type: "failed"; error: string };

const HOST = fileURLToPath(new URL("./emulator-host.ts", import.meta.url));

export async function startRemoteEmulator(
  options: Pick<AssistantEmulatorOptions, "chatLimit" | "dataLimit">,
): Promise<RemoteEmulator> {
  const child = fork(HOST, [JSON.stringify(options)], {
    execArgv: process.execArgv.filter((a) => a !== "--expose-gc"),
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ready = await nextReply(child);
  if (ready.type !== "ready") {
    child.kill();
    throw new Error(`emulator process did not start: ${ready.type === "failed" ? ready.error : ready.type}`);
  }
  return {
    url: ready.url,
    apiKey: ready.apiKey,
    botId: ready.botId,
    async stats() {
      child.send({ type: "stats" } satisfies HostRequest);
      const reply = await nextReply(child);
      if (reply.type !== "stats") throw new Error(`emulator process answered ${reply.type} to stats`);
      const { type: _type, ...stats } = reply;
      return stats;
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.send({ type: "close" } satisfies HostRequest);
      await exited;
    },
  };
}

async function nextReply(child: ChildProcess): Promise<HostReply> {
  const message = once(child, "message").then(([m]) => m as HostReply);
  const exit = once(child, "exit").then(([code]) => {
    throw new Error(`emulator process exited with code ${code}`);
  });
  return Promise.race([message, exit]);
}
