// The bridge as the operator runs it: `node src/cli/bin.mjs start` in its own process, configured
// only by environment variables. The fault suite kills it with SIGKILL, restarts it on the same port
// and waits on its /readyz; its output goes to a log file per scenario for post-mortems.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, type WriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "src/cli/bin.mjs");

export interface BridgeProcessOptions {
  env: Record<string, string>;
  port: number;
  logFile: string;
  /** A module the bridge process loads first (node --import), e.g. the store write-fault injector. */
  preload?: string;
}

export class BridgeProcess {
  /** Every start so far (1 after the first). */
  starts = 0;
  private child?: ChildProcess;
  private exited?: Promise<number | null>;
  private readonly cwd = mkdtempSync(join(tmpdir(), "bridge-reliability-"));
  private readonly log: WriteStream;

  constructor(private readonly options: BridgeProcessOptions) {
    this.log = createWriteStream(options.logFile, { flags: "w" });
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the process (does not wait for it to be ready). */
  start(): void {
    if (this.running) throw new Error("the bridge process is already running");
    this.starts += 1;
    const nodeOptions = this.options.preload ? `--import ${this.options.preload}` : "";
    const child = spawn(process.execPath, [BIN, "start"], {
      cwd: this.cwd,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? this.cwd,
        NODE_ENV: "test",
        NODE_OPTIONS: nodeOptions,
        HOST: "127.0.0.1",
        PORT: String(this.options.port),
        ...this.options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.log.write(`\n==== start #${this.starts} pid ${child.pid} at ${new Date().toISOString()}\n`);
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.child = child;
    // Never outlive the test process (a timed-out test, a crashed worker): kill -9 on its exit.
    const orphanGuard = () => child.kill("SIGKILL");
    process.once("exit", orphanGuard);
    child.once("exit", () => process.off("exit", orphanGuard));
    this.exited = new Promise((done) => child.once("exit", (code) => done(code)));
  }

  /** Resolves once GET /readyz answers 200; rejects when the process exits first or time runs out. */
  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const exited = this.exited;
    let gone = false;
    void exited?.then(() => {
      gone = true;
    });
    while (Date.now() < deadline) {
      if (gone) throw new Error(`the bridge exited before it was ready (see ${this.options.logFile})`);
      try {
        const response = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(1000) });
        await response.arrayBuffer();
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      await pollPause(exited);
    }
    throw new Error(`the bridge was not ready within ${timeoutMs} ms (see ${this.options.logFile})`);
  }

  /** kill -9: no chance to flush, release leases or answer anything in flight. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill("SIGKILL");
    await this.exited;
  }

  /** A graceful stop (SIGTERM), as an operator's restart does. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await this.exited;
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((done) => this.log.end(done));
  }
}

/** The pause between two /readyz probes; cut short when the process exits. */
function pollPause(exited: Promise<unknown> | undefined): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(done, 50);
    void exited?.then(() => {
      clearTimeout(timer);
      done();
    });
  });
}
