// Starts a real redis-server on a free loopback port for one test file, and stops it afterwards.
// It can also be taken down and brought back on the same port (the fault suite's Redis restart),
// keeping its data when started with a data directory (append-only file, fsync on every write).
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

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
        new Error(`redis-server could not start (is it installed? .ci/run installs it): ${err.message}`),
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
