// This process's lease on the store: what it holds in the durable queues stays its own while the
// lease lives. Renewed in the background; released on a graceful stop, so the next process takes
// over at once. A crashed process's lease runs out after `leaseMs`; one that died on this same host
// is recognised at once (its pid is gone) and released by whoever starts next.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { DEFAULTS } from "../defaults.js";
import { StoreError } from "../errors.js";
import { retry } from "../kit/retry.js";
import type { StoreHealth } from "./health.js";
import type { Store } from "./types.js";

/** Tries at taking the lease at start (about 2 s in all) before the start-up fails. */
const START_ATTEMPTS = 5;

export class ProcessLease {
  readonly owner = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly health: StoreHealth,
    readonly leaseMs: number = DEFAULTS.processLeaseMs,
  ) {}

  /**
   * Takes the lease and keeps renewing it; releases the leases of peers on this host that died. A
   * store failure in passing is tried again within bounds, so a hiccup does not end the start-up;
   * releasing dead peers is only a head start (their leases run out, and adoption tries again).
   */
  async start(): Promise<void> {
    await retry(() => this.renew(), {
      delayMs: (error, attempt) =>
        error instanceof StoreError && attempt < START_ATTEMPTS ? 200 * attempt : undefined,
    });
    await this.releaseDeadPeers().catch(() => {});
    this.timer ??= setInterval(() => void this.renew().catch(() => {}), this.leaseMs / 3);
    this.timer.unref();
  }

  /** Gives up the lease: what this process still holds can be claimed by the next one at once. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.store.releaseLease(this.owner).catch(() => {});
  }

  private async renew(): Promise<void> {
    await this.health.watch(this.store.renewLease(this.owner, this.leaseMs));
  }

  /** Ends the leases of processes on this host that are gone, so their work is claimable at once. */
  async releaseDeadPeers(): Promise<void> {
    for (const owner of await this.store.listLeases()) {
      if (owner !== this.owner && diedOnThisHost(owner)) await this.store.releaseLease(owner);
    }
  }
}

/** An owner (host/pid/…) that ran on this host and whose process is gone. */
export function diedOnThisHost(owner: string): boolean {
  const [host, pidText] = owner.split("/");
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
