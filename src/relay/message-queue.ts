// The durable side of the line: a message is accepted only once it is in the store's queue (with
// its dedup claim, in the same transaction), and stays there until its reply is posted. The reply
// is kept on the first message of its batch until every chunk is posted, so a restart resumes at
// the next chunk instead of asking the assistant again. Items stay this process's own while its
// lease lives; those of a process that stopped or crashed are claimed by the next one. Several
// processes on one store each answer whole conversations: a message goes to the process already
// answering its conversation, which takes it when it has answered what it had.
import type { InboundMessage } from "../adapter.js";
import type { AppendedItem, QueueItem, Store, WriteOp } from "../store/types.js";
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

/** A message just queued, and who answers it. */
export interface Added {
  record: PendingMessage;
  /** This process holds it (else another live process answers its conversation). */
  mine: boolean;
  /** Ids of the conversation's older messages its holder has. */
  earlier: string[];
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

  /**
   * Claims the message id and queues it, in one transaction; undefined when it was seen before. The
   * message goes to the live process already answering its conversation, if any (`mine` is false
   * then); else to this one, which then holds the messages a stopped process left of it too.
   * `earlier` names the conversation's older messages the holder has.
   */
  async add(message: InboundMessage, acceptedAt: number): Promise<Added | undefined> {
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
        joinHolder: true,
      },
    ]);
    const item = result.appended[0] as AppendedItem<StoredMessage> | undefined;
    if (!result.applied || !item) return undefined;
    return { record: fromItem(item), mine: item.owner === this.owner, earlier: item.earlier ?? [] };
  }

  /** Claims the id only (a message answered at once with a notice, never queued). */
  async markSeen(message: InboundMessage): Promise<boolean> {
    return this.store.setIfAbsent(seenKey(MessageQueue.dedupeKey(message)), 1, this.dedupeTtlMs);
  }

  /**
   * The writes that keep the assistant's reply on the leader before any chunk is posted (for a
   * store batch, with the session's turn); the other members of the batch are answered by it, so
   * they leave the queue in the same transaction.
   */
  beginReplyWrites(items: PendingMessage[], reply: ReplyProgress): WriteOp[] {
    const [leader, ...rest] = items;
    if (!leader) return [];
    leader.reply = reply;
    return [
      { op: "update", queue: QUEUE, id: leader.id, payload: stored(leader) },
      ...rest.map((m): WriteOp => ({ op: "ack", queue: QUEUE, id: m.id })),
    ];
  }

  async chunkPosted(leader: PendingMessage, reply: ReplyProgress): Promise<void> {
    leader.reply = reply;
    await this.store.batch([{ op: "update", queue: QUEUE, id: leader.id, payload: stored(leader) }]);
  }

  /**
   * Every chunk is posted (or the messages were answered otherwise): they leave the queue. With
   * `thenTake`, the same transaction takes the messages of that conversation this process now
   * holds (those other processes handed it meanwhile) and returns them.
   */
  async answered(items: PendingMessage[], thenTake?: string): Promise<PendingMessage[]> {
    const ops = items.map((m): WriteOp => ({ op: "ack", queue: QUEUE, id: m.id }));
    if (thenTake !== undefined) ops.push({ op: "take", queue: QUEUE, group: thenTake, owner: this.owner });
    if (ops.length === 0) return [];
    const result = await this.store.batch(ops);
    return (result.taken as QueueItem<StoredMessage>[]).map(fromItem);
  }

  /** Takes the messages of a conversation this process holds or nobody live holds, oldest first. */
  async take(conversation: string): Promise<PendingMessage[]> {
    return this.answered([], conversation);
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
