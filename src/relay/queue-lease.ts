// Who may load the stored backlog: one bridge process per store at a time. A process that starts
// while another still runs (a rolling deploy, a second replica) serves its own new messages at once,
// and takes over what is stored only when the other lets go (a graceful stop) or stops renewing its
// lease (a crash). Without it, the newcomer would answer messages the old process is answering.
import { randomUUID } from "node:crypto";
import type Keyv from "keyv";
import { abortableSleep } from "../assistant/retry.js";
import { DEFAULTS } from "../defaults.js";
import type { BridgeStore } from "../store/create-store.js";

interface Lease {
  owner: string;
  until: number;
}

export interface QueueLeaseOptions {
  ttlMs?: number;
  now?: () => number;
}

const KEY = "backlog";

export class QueueLease {
  readonly owner = randomUUID();
  private readonly leases: Keyv<Lease>;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private renewing?: NodeJS.Timeout;

  constructor(store: BridgeStore, options: QueueLeaseOptions = {}) {
    this.leases = store.namespace<Lease>("queue-lease");
    this.ttlMs = options.ttlMs ?? DEFAULTS.backlogLeaseMs;
    this.now = options.now ?? Date.now;
  }

  /** Waits until this process holds the lease, then keeps renewing it until release(). */
  async acquire(signal: AbortSignal): Promise<void> {
    for (;;) {
      signal.throwIfAborted();
      const current = await this.leases.get(KEY);
      if (!current || current.owner === this.owner || current.until <= this.now()) {
        await this.write();
        // Two processes may both have seen the lease free: the later write wins, and the loser,
        // reading it back, goes on waiting.
        await abortableSleep(50, signal);
        if ((await this.leases.get(KEY))?.owner === this.owner) break;
      }
      // Look again every second at most: a graceful stop frees the lease at once, and the next
      // process should not sit out the rest of a TTL.
      await abortableSleep(
        Math.min(1000, this.ttlMs / 3, Math.max(50, (current?.until ?? 0) - this.now())),
        signal,
      );
    }
    this.renewing = setInterval(() => void this.write().catch(() => {}), this.ttlMs / 3);
    this.renewing.unref();
  }

  /** Lets the next process take over at once. */
  async release(): Promise<void> {
    clearInterval(this.renewing);
    this.renewing = undefined;
    if ((await this.leases.get(KEY))?.owner === this.owner) await this.leases.delete(KEY);
  }

  private async write(): Promise<void> {
    await this.leases.set(KEY, { owner: this.owner, until: this.now() + this.ttlMs }, this.ttlMs * 2);
  }
}
