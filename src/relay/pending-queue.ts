// The durable side of the line: every accepted message is written here before the platform is
// acknowledged, and stays until its reply is posted. A restart reloads what is still pending, and a
// reply already (partly) posted resumes from the next chunk instead of asking the assistant again.
// The same records de-duplicate redeliveries: a message id seen here is never answered twice.
import type Keyv from "keyv";
import type { InboundMessage } from "../adapter.js";
import type { BridgeStore } from "../store/create-store.js";

export interface PendingMessage {
  key: string;
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

type MessageState =
  | { state: "pending"; seq: number }
  | { state: "replying"; seq: number; leader: string }
  | { state: "answered" };

export class PendingQueue {
  private readonly records: Keyv<unknown>;
  private nextSeq = 0;
  private loaded = false;

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
    await this.ensureLoaded();
    const key = PendingQueue.dedupeKey(message);
    const seq = this.nextSeq++;
    const record: PendingMessage = { key, seq, message, acceptedAt };
    await this.records.set(`msg:${key}`, record);
    await this.records.set(`seq:${seq}`, key);
    await this.records.set(`state:${key}`, { state: "pending", seq } satisfies MessageState);
    await this.records.set("tail", this.nextSeq);
    return record;
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
      await this.records.delete(`seq:${m.seq}`);
    }
    if (leaderKey) await this.records.delete(`reply:${leaderKey}`);
  }

  /** Everything still pending, in the order accepted (what a restart must answer). */
  async load(): Promise<PendingMessage[]> {
    await this.ensureLoaded();
    const head = ((await this.records.get("head")) as number | undefined) ?? 0;
    const found: PendingMessage[] = [];
    let firstLive: number | undefined;
    for (let seq = head; seq < this.nextSeq; seq++) {
      const key = (await this.records.get(`seq:${seq}`)) as string | undefined;
      if (!key) continue;
      const record = (await this.records.get(`msg:${key}`)) as PendingMessage | undefined;
      if (!record) continue;
      firstLive ??= seq;
      found.push(record);
    }
    await this.records.set("head", firstLive ?? this.nextSeq);
    return found;
  }

  private async ensureLoaded(): Promise<void> {
    if (this.loaded) return;
    this.nextSeq = ((await this.records.get("tail")) as number | undefined) ?? 0;
    this.loaded = true;
  }
}
