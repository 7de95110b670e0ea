// The durable side of the line: a message is accepted only once it is in the store's queue (with
// its dedup claim, in the same transaction), and stays there until its reply is posted. The reply
// is kept on the first message of its batch until every chunk is posted, so a restart resumes at
// the next chunk instead of asking the assistant again. Items stay this process's own while its
// lease lives; those of a process that stopped or crashed are claimed by the next one.
import type { InboundMessage } from "../adapter.js";
import type { QueueItem, Store, WriteOp } from "../store/types.js";
import { conversationKey } from "./conversation-key.js";

const QUEUE = "inbound";

/** A reply the assistant gave for a batch, kept until every chunk is posted. */
export interface ReplyProgress {
  chunks: string[];
  posted: number;
  sessionId: string;
  conversationId: string;
  messageId: string;
}

interface StoredMessage {
  key: string;
  message: InboundMessage;
  acceptedAt: number;
  reply?: ReplyProgress;
}

export interface PendingMessage extends StoredMessage {
  /** The queue item's id, and its place in the store-wide order of acceptance. */
  id: string;
  seq: number;
}

export class MessageQueue {
  constructor(
    private readonly store: Store,
    private readonly owner: string,
    private readonly dedupeTtlMs: number,
  ) {}

  static dedupeKey(message: InboundMessage): string {
    const c = message.conversation;
    return `${c.platform}:${c.workspaceId}:${message.messageId}`;
  }

  /** Claims the message id and queues it, in one transaction; undefined when it was seen before. */
  async add(message: InboundMessage, acceptedAt: number): Promise<PendingMessage | undefined> {
    const key = MessageQueue.dedupeKey(message);
    const payload: StoredMessage = { key, message, acceptedAt };
    const result = await this.store.batch([
      { op: "claim", key: seenKey(key), ttlMs: this.dedupeTtlMs },
      {
        op: "append",
        queue: QUEUE,
        group: conversationKey(message.conversation),
        payload,
        owner: this.owner,
      },
    ]);
    const item = result.appended[0] as QueueItem<StoredMessage> | undefined;
    return result.applied && item ? fromItem(item) : undefined;
  }

  /** Claims the id only (a message answered at once with a notice, never queued). */
  async markSeen(message: InboundMessage): Promise<boolean> {
    return this.store.setIfAbsent(seenKey(MessageQueue.dedupeKey(message)), 1, this.dedupeTtlMs);
  }

  /**
   * Keeps the assistant's reply on the leader before any chunk is posted; the other members of the
   * batch are answered by it, so they leave the queue in the same transaction.
   */
  async beginReply(items: PendingMessage[], reply: ReplyProgress): Promise<void> {
    const [leader, ...rest] = items;
    if (!leader) return;
    leader.reply = reply;
    await this.store.batch([
      { op: "update", queue: QUEUE, id: leader.id, payload: stored(leader) },
      ...rest.map((m): WriteOp => ({ op: "ack", queue: QUEUE, id: m.id })),
    ]);
  }

  async chunkPosted(leader: PendingMessage, reply: ReplyProgress): Promise<void> {
    leader.reply = reply;
    await this.store.batch([{ op: "update", queue: QUEUE, id: leader.id, payload: stored(leader) }]);
  }

  /** Every chunk is posted (or the messages were answered otherwise): they leave the queue. */
  async answered(items: PendingMessage[]): Promise<void> {
    if (items.length === 0) return;
    await this.store.batch(items.map((m): WriteOp => ({ op: "ack", queue: QUEUE, id: m.id })));
  }

  /**
   * Messages whose process stopped or died before answering them, oldest first; with `includeOwn`,
   * also this process's own (to find those whose storing it saw fail but that were stored).
   */
  async claimOrphans(options: { limit?: number; includeOwn?: boolean } = {}): Promise<PendingMessage[]> {
    const items = await this.store.claim<StoredMessage>(QUEUE, this.owner, options);
    return items.map(fromItem);
  }

  size(): Promise<number> {
    return this.store.queueSize(QUEUE);
  }
}

function seenKey(dedupeKey: string): string {
  return `seen:${dedupeKey}`;
}

function fromItem(item: QueueItem<StoredMessage>): PendingMessage {
  return { ...item.payload, id: item.id, seq: item.seq };
}

function stored(m: PendingMessage): StoredMessage {
  return { key: m.key, message: m.message, acceptedAt: m.acceptedAt, reply: m.reply };
}
