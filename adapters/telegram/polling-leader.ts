// Long polling across replicas: Telegram allows one getUpdates at a time per bot (a second one ends
// the first with 409 Conflict), so with a shared store the replicas elect one poller with the lock
// "telegram:poller:<bot id>" (src/leadership.ts). The holder polls; the others stand by and take
// over within the lease time if it dies, or at once when it stops gracefully. A holder that loses
// the lock aborts its getUpdates in flight before the lock can pass on. Updates the old poller had
// fetched but not confirmed come again to the new one; the store's dedup drops those already taken.
// A standby counts as ready: it serves every other route and takes over polling when needed.
import type { Logger } from "pino";
import { LeaderLease } from "../../src/leadership.js";
import type { Store } from "../../src/store/types.js";
import type { UpdatePoller } from "./polling.js";

export interface PollingLeaderOptions {
  store: Store;
  botId: number;
  logger: Logger;
  /** A fresh poller for each term as the poller. */
  makePoller(): UpdatePoller;
  /** Polling ended by itself (401, 409): it is not started again in this term. */
  onPollingFailed(error: unknown): void;
  leaseMs?: number;
}

export class PollingLeader {
  private readonly lease: LeaderLease;
  private poller?: UpdatePoller;
  private failed = false;

  constructor(private readonly options: PollingLeaderOptions) {
    this.lease = new LeaderLease({
      store: options.store,
      lock: `telegram:poller:${options.botId}`,
      logger: options.logger,
      ...(options.leaseMs !== undefined && { leaseMs: options.leaseMs }),
      messages: {
        leading: "became the Telegram poller",
        standingBy: "standing by: another replica polls Telegram",
      },
      lead: async () => this.poll(),
      abdicate: () => this.halt(),
    });
  }

  start(): Promise<void> {
    return this.lease.start();
  }

  async stop(): Promise<void> {
    await this.lease.stop();
    await this.halt();
  }

  /** Standing by, or polling with nothing waiting to be retried. */
  isReady(): boolean {
    if (!this.lease.isLeader()) return true;
    const poller = this.poller;
    return !this.failed && poller !== undefined && poller.isRunning() && !poller.hasRetries();
  }

  private poll(): void {
    const poller = this.options.makePoller();
    this.poller = poller;
    this.failed = false;
    poller.start().catch((error: unknown) => {
      if (this.poller !== poller) return;
      this.failed = true;
      this.options.onPollingFailed(error);
    });
  }

  private async halt(): Promise<void> {
    const poller = this.poller;
    this.poller = undefined;
    await poller?.stop();
  }
}
