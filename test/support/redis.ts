// Starts a real redis-server on a free loopback port for one test file, and stops it afterwards; or
// uses the server REDIS_URL names. Where neither is available, Redis-backed suites skip (wrap them in
// `describe.skipIf(skipWithoutRedis())`) and the run prints one line saying how to run them;
// MYGPT_REQUIRE_REDIS=1 (set by .ci/run) makes a missing Redis a failure instead.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

function redisServerInstalled(): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => {
    try {
      return statSync(join(dir, "redis-server")).isFile();
    } catch {
      return false;
    }
  });
}

/** Why Redis-backed tests cannot run here, or undefined when they can (or must). */
export const redisMissing: string | undefined =
  process.env.REDIS_URL || redisServerInstalled() || process.env.MYGPT_REQUIRE_REDIS === "1"
    ? undefined
    : "Redis-backed tests skipped: redis-server is not installed. To run them, install it (apt-get install redis-server) or set REDIS_URL=redis://HOST:PORT.";

/**
 * True when Redis-backed tests must skip here. The notice is printed once per vitest run: test files
 * run in separate worker processes, so the first one to claim a marker file (named after the vitest
 * process, their common parent) prints it.
 */
export function skipWithoutRedis(): boolean {
  if (!redisMissing) return false;
  try {
    closeSync(openSync(join(tmpdir(), `mygpt-bridge-redis-notice-${process.ppid}`), "wx"));
    console.warn(redisMissing);
  } catch {
    // Another test file has printed it already.
  }
  return true;
}

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startRedis(): Promise<RedisServer> {
  // A server the caller provides is shared: the tests' keys carry their own prefixes, and it is left running.
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => {} };
  const port = await freePort();
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  await new Promise<void>((resolve, reject) => {
    let output = "";
    child.once("error", (err) =>
      reject(
        new Error(
          `redis-server could not start (install redis-server or set REDIS_URL; .ci/run installs it): ${err.message}`,
        ),
      ),
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
