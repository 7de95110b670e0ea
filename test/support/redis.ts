// Starts a real redis-server on a free loopback port for one test file, and stops it afterwards; or
// uses the server REDIS_URL names. Where neither is available, Redis-backed suites skip (wrap them in
// `describe.skipIf(skipWithoutRedis())`) and the run prints one line saying how to run them;
// MYGPT_REQUIRE_REDIS=1 (set by .ci/run) makes a missing Redis a failure instead. A server it started
// can be taken down and brought back on the same port (the fault suite's Redis restart), keeping its
// data when started with a data directory (append-only file, fsync on every write).
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
  /** Shuts the server down (SIGTERM, as a service manager does); clients see the connection drop. */
  down(): Promise<void>;
  /** Starts it again on the same port. */
  up(): Promise<void>;
}

export interface RedisOptions {
  /** Persist to an append-only file in this directory, so a restart keeps every acknowledged write. */
  dataDir?: string;
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

export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  // A server the caller provides is shared: the tests' keys carry their own prefixes, and it is left running.
  if (process.env.REDIS_URL) {
    const external = async () => {
      throw new Error("a Redis server named by REDIS_URL cannot be taken down by the tests");
    };
    return { url: process.env.REDIS_URL, stop: async () => {}, down: external, up: external };
  }
  const port = await freePort();
  const persistence = options.dataDir
    ? ["--dir", options.dataDir, "--appendonly", "yes", "--appendfsync", "always", "--save", ""]
    : ["--save", "", "--appendonly", "no"];
  const args = ["--port", String(port), "--bind", "127.0.0.1", ...persistence];
  let child = await spawnRedis(args);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop,
    down: stop,
    up: async () => {
      if (child.exitCode === null && child.signalCode === null) return;
      child = await spawnRedis(args);
    },
  };
}

async function spawnRedis(args: string[]): Promise<ChildProcess> {
  const child: ChildProcess = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
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
  return child;
}
