// What this replica holds: the messages it accepted, took over from a stopped or crashed process
// (orphans), or was handed by other replicas answering the same conversations, and the store
// writes that must land for them (durably). A message is held from the moment it is queued here
// until its reply is posted and the store has it marked answered.
import type { Platform } from "../adapter.js";
import { BoundedSet } from "../bounded-set.js";
import { StoreError } from "../errors.js";
import { retry } from "../kit/retry.js";
import type { StoreHealth } from "../store/health.js";
import type { ProcessLease } from "../store/process-lease.js";
import type { RelayContext } from "./context.js";
import { conversationKey } from "./conversation-key.js";
import type { Lifecycle } from "./lifecycle.js";
import type { PendingMessage } from "./message-queue.js";

/** How many stored messages one look for a stopped process's work takes at most. */
const ADOPT_PAGE = 500;

/**
 * Runs a store write that must land (an answered message left in the queue would be answered
 * again), retrying while the store is away. On stop it gives up: the message stays in the store
 * as last written, for the next start. The first retries come soon (50, 100, 200 ms ...): until
 * the write of a posted reply lands, a crash would post it again.
 */
export function durably(write: () => Promise<void>, health: StoreHealth, life: Lifecycle): Promise<void> {
  return retry(() => health.watch(write()), {
    delayMs: (error, attempt) =>
      !(error instanceof StoreError) || life.stopping ? undefined : Math.min(50 * 2 ** (attempt - 1), 2000),
    signal: life.signal,
  });
}

export class Holdings {
  /** Messages this process accepted or took over and has not finished: queue id → conversation. */
  private readonly held = new Map<string, string>();
  /**
   * Messages finished here lately: a store answer sent before one was acked may be read after it
   * (its continuation ran later), and must not queue it again.
   */
  private readonly finished = new BoundedSet({ max: 10_000 });
  /** A write of this process's own queue failed in a way that may have been applied all the same. */
  unsureOfOwn = false;
  /**
   * Platforms still connecting at start-up, each with the messages held for it meanwhile (in the
   * order they were held): answering them now would show typing and post where nothing can arrive.
   */
  private readonly connecting = new Map<Platform, PendingMessage[]>();

  constructor(
    private readonly ctx: RelayContext,
    private readonly lease: ProcessLease,
    private readonly handles: (platform: Platform) => boolean,
  ) {}

  /** Runs a store write that must land (see durably()). */
  durably(write: () => Promise<void>): Promise<void> {
    return durably(write, this.ctx.health, this.ctx.life);
  }

  /** The message is queued or was finished here. */
  knows(id: string): boolean {
    return this.held.has(id) || this.finished.has(id);
  }

  /** What this process is answering now, for /metrics: messages and their conversations. */
  holding(): { messages: number; conversations: number } {
    return { messages: this.held.size, conversations: new Set(this.held.values()).size };
  }

  /**
   * Takes over now what stopped or crashed processes left in the store (it also happens every few
   * seconds by itself).
   */
  async adoptOrphans(): Promise<void> {
    const { ctx } = this;
    let orphans: PendingMessage[];
    // After a store failure mid-write, a message this process refused may have been stored after all.
    const includeOwn = this.unsureOfOwn;
    this.unsureOfOwn = false;
    try {
      await this.lease.releaseDeadPeers();
      orphans = await ctx.health.watch(
        ctx.pending.claimOrphans(includeOwn ? { includeOwn } : { limit: ADOPT_PAGE }),
      );
    } catch (error) {
      this.unsureOfOwn ||= includeOwn;
      ctx.options.logger.warn({ err: error }, "could not look for messages left by a stopped process");
      return;
    }
    const mine = orphans.filter(
      (record) => !this.held.has(record.id) && this.handles(record.message.conversation.platform),
    );
    for (const record of mine) this.schedule(record);
    if (mine.length > 0) {
      ctx.options.logger.info({ count: mine.length }, "answering messages a stopped process left unanswered");
    }
    ctx.wake();
    // A large backlog is taken a page at a time: one failed page costs only itself.
    if (orphans.length === ADOPT_PAGE && mine.length > 0 && !ctx.life.stopping) await this.adoptOrphans();
  }

  /**
   * Queues a held message in its conversation's line, in store order (or keeps it until its platform
   * has connected); false when it is held here already.
   */
  schedule(record: PendingMessage): boolean {
    if (this.knows(record.id)) return false;
    const convKey = conversationKey(record.message.conversation);
    this.held.set(record.id, convKey);
    const untilConnected = this.connecting.get(record.message.conversation.platform);
    if (untilConnected) untilConnected.push(record);
    else this.ctx.scheduler.insertInOrder(convKey, record, bySeq);
    return true;
  }

  /** What is held for `platform` waits until connected(platform). */
  awaitConnection(platform: Platform): void {
    if (!this.connecting.has(platform)) this.connecting.set(platform, []);
  }

  /** The platform has connected: what was held for it is queued, in store order. */
  connected(platform: Platform): void {
    const waiting = this.connecting.get(platform);
    if (!waiting) return;
    this.connecting.delete(platform);
    for (const record of waiting) {
      if (this.held.has(record.id))
        this.ctx.scheduler.insertInOrder(conversationKey(record.message.conversation), record, bySeq);
    }
    if (waiting.length > 0) this.ctx.wake();
  }

  /**
   * The messages are answered (or given up on): mark them so, and let go of them. When nothing of
   * the conversation waits here any more, the same store write takes what other processes handed
   * this one for it meanwhile (they go to whoever answers the conversation), to be answered next.
   */
  async finish(convKey: string, items: PendingMessage[]): Promise<void> {
    const thenTake = this.ctx.scheduler.queuedFor(convKey) === 0 ? convKey : undefined;
    let handed: PendingMessage[] = [];
    await this.durably(async () => {
      handed = await this.ctx.pending.answered(items, thenTake);
    });
    for (const item of items) {
      this.held.delete(item.id);
      this.finished.add(item.id);
    }
    this.scheduleHanded(handed);
  }

  /** Queues what the store says this process holds and does not know yet. */
  scheduleHanded(records: PendingMessage[]): void {
    const fresh = records.filter(
      (record) => this.handles(record.message.conversation.platform) && this.schedule(record),
    );
    if (fresh.length === 0) return;
    this.ctx.wake();
  }

  /** Takes the conversation's messages this process holds, retrying while the store is away. */
  async durablyTake(convKey: string): Promise<PendingMessage[]> {
    let taken: PendingMessage[] = [];
    await this.durably(async () => {
      taken = await this.ctx.pending.take(convKey);
    });
    return taken;
  }
}

function bySeq(a: PendingMessage, b: PendingMessage): number {
  return a.seq - b.seq;
}
