// The durable side of the line: every accepted message is written here before the platform is
// acknowledged, and stays until its reply is posted. A restart reloads what is still pending, and a
// reply already (partly) posted resumes from the next chunk instead of asking the assistant again.
// The same records de-duplicate redeliveries: a message id seen here is never answered twice.
// Each process numbers its own messages under its own owner id, so two processes on one store (a
// rolling deploy) never overwrite each other's entries; loading walks every owner's range.
import { randomUUID } from "node:crypto";
import type Keyv from "keyv";
import type { InboundMessage } from "../adapter.js";
import type { BridgeStore } from "../store/create-store.js";

export interface PendingMessage {
  key: string;
  /** The process that accepted it, and its number there: where its index entry lives. */
  owner: string;
  seq: number;
  message: InboundMessage;
  acceptedAt: number;
}

/** A reply the assistant gave for a batch, kept until every chunk is posted. */
export interface ReplyProgress {
  memberKeys: string[];
  chunks: string[];
  posted: number;
  sessionId: string;
  conversationId: string;
  messageId: string;
}

type MessageState = { state: "pending" } | { state: "answered" };

export class PendingQueue {
  readonly owner = randomUUID();
  private readonly records: Keyv<unknown>;
  private nextSeq = 0;
  /** Numbers handed out whose writes have not all landed: a load must not move past them. */
  private readonly adding = new Set<number>();

  constructor(
    store: BridgeStore,
    private readonly answeredTtlMs: number,
  ) {
    this.records = store.namespace("pending");
  }

  static dedupeKey(message: InboundMessage): string {
    const c = message.conversation;
    return `${c.platform}:${c.workspaceId}:${message.messageId}`;
  }

  /** True when this message was accepted before (pending or answered). */
  async seen(key: string): Promise<boolean> {
    return (await this.records.get(`state:${key}`)) !== undefined;
  }

  async add(message: InboundMessage, acceptedAt: number): Promise<PendingMessage> {
    const key = PendingQueue.dedupeKey(message);
    const seq = this.nextSeq++;
    this.adding.add(seq);
    try {
      await this.register();
      const record: PendingMessage = { key, owner: this.owner, seq, message, acceptedAt };
      await this.records.set(`msg:${key}`, record);
      await this.records.set(`seq:${this.owner}:${seq}`, key);
      await this.records.set(`state:${key}`, { state: "pending" } satisfies MessageState);
      // The counter only grows and writes land in the order issued, so the last tail written is the highest.
      await this.records.set(`tail:${this.owner}`, this.nextSeq);
      return record;
    } finally {
      this.adding.delete(seq);
    }
  }

  /** Stores the assistant's reply for a batch before any chunk is posted. */
  async beginReply(leader: PendingMessage, progress: ReplyProgress): Promise<void> {
    await this.records.set(`reply:${leader.key}`, progress);
  }

  async chunkPosted(leaderKey: string, progress: ReplyProgress): Promise<void> {
    await this.records.set(`reply:${leaderKey}`, progress);
  }

  async replyFor(leaderKey: string): Promise<ReplyProgress | undefined> {
    return (await this.records.get(`reply:${leaderKey}`)) as ReplyProgress | undefined;
  }

  /** Every chunk is posted (or the message was answered otherwise): mark answered, forget the body. */
  async answered(members: PendingMessage[], leaderKey?: string): Promise<void> {
    for (const m of members) {
      await this.records.set(
        `state:${m.key}`,
        { state: "answered" } satisfies MessageState,
        this.answeredTtlMs,
      );
      await this.records.delete(`msg:${m.key}`);
      await this.records.delete(`seq:${m.owner}:${m.seq}`);
    }
    if (leaderKey) await this.records.delete(`reply:${leaderKey}`);
  }

  /**
   * Everything still pending, in the order accepted (what a restart must answer), from every
   * process that wrote here. Owners with nothing left are forgotten. Call it while holding the
   * backlog lease, so that no other process is loading at the same time.
   */
  async load(): Promise<PendingMessage[]> {
    await this.register();
    const found: PendingMessage[] = [];
    const drained: string[] = [];
    for (const owner of await this.owners()) {
      const head = ((await this.records.get(`head:${owner}`)) as number | undefined) ?? 0;
      const tail = owner === this.owner ? this.nextSeq : await this.tailOf(owner);
      let firstLive: number | undefined;
      for (let seq = head; seq < tail; seq++) {
        const key = (await this.records.get(`seq:${owner}:${seq}`)) as string | undefined;
        const record = key
          ? ((await this.records.get(`msg:${key}`)) as PendingMessage | undefined)
          : undefined;
        if (!record) continue;
        firstLive ??= seq;
        found.push(record);
      }
      const stillAdding = owner === this.owner ? [...this.adding] : [];
      await this.records.set(`head:${owner}`, Math.min(firstLive ?? tail, ...stillAdding));
      if (owner !== this.owner && firstLive === undefined) drained.push(owner);
    }
    if (drained.length > 0) {
      const owners = await this.owners();
      await this.records.set(
        "owners",
        owners.filter((o) => !drained.includes(o)),
      );
      for (const owner of drained) {
        await this.records.delete(`head:${owner}`);
        await this.records.delete(`tail:${owner}`);
      }
    }
    return found.sort((a, b) => a.acceptedAt - b.acceptedAt || a.seq - b.seq);
  }

  /** Makes sure this process is in the owners list (checked on every add, as a load may prune it). */
  private async register(): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const owners = await this.owners();
      if (owners.includes(this.owner)) return;
      await this.records.set("owners", [...owners, this.owner]);
    }
    throw new Error("could not register this process in the pending queue's owners");
  }

  private async owners(): Promise<string[]> {
    return ((await this.records.get("owners")) as string[] | undefined) ?? [];
  }

  private async tailOf(owner: string): Promise<number> {
    return ((await this.records.get(`tail:${owner}`)) as number | undefined) ?? 0;
  }
}
