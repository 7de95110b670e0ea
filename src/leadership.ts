// Runs one platform connection (the Telegram poller, a Discord gateway shard) on one replica at a
// time: the replica holding a named lock in the shared store runs it; the others stand by and try
// for the lock every third of the lease time. The holder renews the lock at the same pace and stops
// its connection as soon as it cannot be sure of still holding it (a renewal refused, or two missed),
// well before the lock could pass to another replica; a graceful stop releases the lock so a standby
// takes over at its next try. What this process holds is listed in `leaderRoles` for /metrics.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import { DEFAULTS } from "./defaults.js";
import { diedOnThisHost } from "./store/process-lease.js";
import type { Store } from "./store/types.js";

export interface LeaderLeaseOptions {
  store: Store;
  /** The lock's name, e.g. "telegram:poller:<bot id>"; also the metrics' role label. */
  lock: string;
  logger: Logger;
  /** Starts the connection; called when this replica takes the lock. */
  lead(): Promise<void>;
  /** Stops the connection at once; called when the lock is lost or on stop(). */
  abdicate(): Promise<void>;
  /** Log lines: e.g. "became the Telegram poller", "standing by: another replica polls Telegram". */
  messages: { leading: string; standingBy: string };
  /** PROCESS_LEASE_MS; defaults to DEFAULTS.processLeaseMs. */
  leaseMs?: number;
  /** Who this replica is in the lock (defaults to host/pid/random, like the process lease). */
  owner?: string;
}

/** Whether other processes can share the store (so there is anything to elect): not memory://. */
export function sharedStore(store: Store | undefined): store is Store {
  return store !== undefined && store.kind !== "memory";
}

/** Each lock this process competes for, and whether it holds it now (for the bridge_leader gauge). */
export const leaderRoles = new Map<string, boolean>();

export class LeaderLease {
  readonly owner: string;
  readonly leaseMs: number;
  private leading = false;
  private running = false;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  /** Fires when the lock may have passed to another replica without this one noticing. */
  private deadline?: NodeJS.Timeout;
  /** When (Date.now) the lock is surely still ours: the last successful call's start + lease. */
  private heldUntil = 0;
  /** The transitions (lead, abdicate) run one after another. */
  private transition: Promise<void> = Promise.resolve();
  private lastLog?: "leading" | "standingBy" | "storeError";

  constructor(private readonly options: LeaderLeaseOptions) {
    this.owner = options.owner ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
    this.leaseMs = options.leaseMs ?? DEFAULTS.processLeaseMs;
  }

  /** Starts competing for the lock; resolves after the first try (leading or standing by). */
  async start(): Promise<void> {
    this.running = true;
    leaderRoles.set(this.options.lock, false);
    await this.next();
  }

  /** Stops the connection if it runs here and releases the lock, so a standby takes over at once. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.ticking;
    await this.stepDown();
    leaderRoles.delete(this.options.lock);
    await this.options.store.releaseLock(this.options.lock, this.owner).catch(() => {});
  }

  isLeader(): boolean {
    return this.leading;
  }

  private next(): Promise<void> {
    this.ticking = this.tick();
    return this.ticking;
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    const startedAt = Date.now();
    try {
      const held = await this.hold();
      if (!this.running) return;
      if (held) {
        this.heldUntil = startedAt + this.leaseMs;
        this.armDeadline();
        if (!this.leading) void this.stepUp();
      } else {
        if (this.leading) await this.stepDown();
        this.log("standingBy", this.options.messages.standingBy);
      }
    } catch (error) {
      if (this.running) this.onStoreError(error);
    }
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.next(), this.leaseMs / 3);
    this.timer.unref();
  }

  /** Takes or renews the lock; one held by a process that died on this host is taken at once. */
  private async hold(): Promise<boolean> {
    const { store, lock } = this.options;
    if (await store.holdLock(lock, this.owner, this.leaseMs)) return true;
    const holder = await store.lockHolder(lock);
    if (holder === undefined || !diedOnThisHost(holder)) return false;
    await store.releaseLock(lock, holder);
    return store.holdLock(lock, this.owner, this.leaseMs);
  }

  /** A renewal failed: keep leading only while the lock surely lives for another try. */
  private onStoreError(error: unknown): void {
    if (this.lastLog !== "storeError") {
      this.options.logger.warn({ err: error, lock: this.options.lock }, "could not renew a leader lock");
      this.lastLog = "storeError";
    }
    if (this.leading && Date.now() + this.leaseMs / 3 >= this.heldUntil) void this.stepDown();
  }

  /** Steps down before the lock can expire, whatever a hung renewal is doing meanwhile. */
  private armDeadline(): void {
    clearTimeout(this.deadline);
    const margin = Math.min(this.leaseMs / 6, 1000);
    this.deadline = setTimeout(
      () => {
        if (this.leading) void this.stepDown();
      },
      Math.max(0, this.heldUntil - margin - Date.now()),
    );
    this.deadline.unref();
  }

  /** Starts the connection; one that fails to start gives the lock up for another replica to try. */
  private stepUp(): Promise<void> {
    this.leading = true;
    leaderRoles.set(this.options.lock, true);
    this.log("leading", this.options.messages.leading);
    return this.serial(async () => {
      try {
        await this.options.lead();
      } catch (error) {
        this.options.logger.error({ err: error, lock: this.options.lock }, "could not start as leader");
        this.leading = false;
        leaderRoles.set(this.options.lock, false);
        this.lastLog = undefined;
        clearTimeout(this.deadline);
        await this.options.abdicate().catch(() => {});
        await this.options.store.releaseLock(this.options.lock, this.owner).catch(() => {});
      }
    });
  }

  private stepDown(): Promise<void> {
    clearTimeout(this.deadline);
    if (!this.leading) return this.transition;
    this.leading = false;
    if (leaderRoles.has(this.options.lock)) leaderRoles.set(this.options.lock, false);
    if (this.running) this.options.logger.warn({ lock: this.options.lock }, "lost a leader lock; stopping");
    this.lastLog = undefined;
    return this.serial(() => this.options.abdicate());
  }

  private serial(step: () => Promise<void>): Promise<void> {
    this.transition = this.transition.then(step).catch((error: unknown) => {
      this.options.logger.error({ err: error, lock: this.options.lock }, "a leader transition failed");
    });
    return this.transition;
  }

  private log(state: "leading" | "standingBy", line: string): void {
    if (this.lastLog === state) return;
    this.lastLog = state;
    this.options.logger.info({ lock: this.options.lock }, line);
  }
}
