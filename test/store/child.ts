// Runs store-child.ts in a second Node process, to race the store across processes: the child opens
// the store, says "ready", waits for "go", does its part and prints its result as one JSON line.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export type ChildSpec =
  | { action: "setIfAbsent"; key: string; count: number }
  | { action: "claim"; queue: string; owner: string }
  | { action: "holdLock"; name: string; count: number };

export interface ChildRun {
  ready: Promise<void>;
  go(): void;
  result: Promise<unknown>;
}

const script = fileURLToPath(new URL("./store-child.ts", import.meta.url));

export function runChild(url: string, spec: ChildSpec): ChildRun {
  const child = spawn(process.execPath, ["--import", "tsx", script, url, JSON.stringify(spec)], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    if (out.startsWith("ready\n")) markReady();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const result = new Promise<unknown>((resolve, reject) => {
    child.once("exit", (code) => {
      const line = out.split("\n")[1];
      if (code !== 0 || !line) reject(new Error(`store child exited with ${code}: ${err || out}`));
      else resolve(JSON.parse(line));
    });
  });
  // A child that dies before "ready" fails the test through `result`, not a hang on `ready`.
  const readyOrDied = Promise.race([ready, result.then(() => {})]);
  return { ready: readyOrDied, go: () => child.stdin.end("go\n"), result };
}
