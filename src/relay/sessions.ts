// Maps each conversation to its assistant session (our sessionId, the assistant's conversationId)
// and back, so webhook events can find the chat a session lives in. Idle sessions expire.
import { randomUUID } from "node:crypto";
import type Keyv from "keyv";
import type { ReplyTarget } from "../adapter.js";
import { keyvSetOp, storeKeyv } from "../store/keyv-adapter.js";
import type { Store, WriteOp } from "../store/types.js";

export interface SessionRecord {
  sessionId: string;
  conversationId?: string;
  botId: string;
  /** Where replies for this conversation go (the latest message's target). */
  target: ReplyTarget;
  updatedAt: number;
  /** When the session's index entries (sessionId, conversationId → conversation) were last written. */
  indexedAt?: number;
  /** Assistant messageIds the bridge itself produced (recent ones), to tell them from others'. */
  ownMessageIds?: string[];
}

const OWN_IDS_KEPT = 50;
const SESSIONS = "session";
const INDEX = "session-index";
const INDEX_REFRESH_MS = 24 * 3600_000;

export class SessionStore {
  private readonly sessions: Keyv<SessionRecord>;
  private readonly index: Keyv<string>;

  constructor(
    private readonly store: Store,
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sessions = storeKeyv<SessionRecord>(store, SESSIONS);
    this.index = storeKeyv<string>(store, INDEX);
  }

  get(conversationKey: string): Promise<SessionRecord | undefined> {
    return this.sessions.get(conversationKey);
  }

  /** The conversation's session, created when there is none (or after /reset). */
  async ensure(conversationKey: string, botId: string, target: ReplyTarget): Promise<SessionRecord> {
    const existing = await this.sessions.get(conversationKey);
    if (existing && existing.botId === botId) return existing;
    return this.start(conversationKey, botId, target);
  }

  /** Starts a new session for the conversation (what /reset does). */
  async start(conversationKey: string, botId: string, target: ReplyTarget): Promise<SessionRecord> {
    const record: SessionRecord = { sessionId: `brg_${randomUUID()}`, botId, target, updatedAt: this.now() };
    await this.save(conversationKey, record);
    return record;
  }

  /**
   * Records an answered turn: the assistant's conversationId and messageId, and the latest target,
   * in one transaction with `alongWith` (the reply kept for posting). A conversation's turns and
   * commands run one at a time, so `session` is the stored record.
   */
  async recordTurn(
    conversationKey: string,
    session: SessionRecord,
    turn: { conversationId: string; messageId: string; target: ReplyTarget },
    alongWith: WriteOp[] = [],
  ): Promise<SessionRecord> {
    const record: SessionRecord = {
      ...session,
      conversationId: turn.conversationId,
      target: turn.target,
      updatedAt: this.now(),
      ownMessageIds: [...(session.ownMessageIds ?? []), turn.messageId].slice(-OWN_IDS_KEPT),
    };
    await this.save(conversationKey, record, session, alongWith);
    return record;
  }

  /** Finds the conversation a sessionId or conversationId belongs to. */
  async lookup(ids: {
    sessionId?: string;
    conversationId?: string;
  }): Promise<{ conversationKey: string; session: SessionRecord } | undefined> {
    const candidates = [
      ids.sessionId ? `s:${ids.sessionId}` : undefined,
      ids.conversationId ? `c:${ids.conversationId}` : undefined,
    ];
    for (const key of candidates) {
      if (!key) continue;
      const conversationKey = await this.index.get(key);
      if (!conversationKey) continue;
      const session = await this.sessions.get(conversationKey);
      if (session) return { conversationKey, session };
    }
    return undefined;
  }

  /**
   * Writes the record, and its index entries when they are new or a day old (so they live as long
   * as the session, without a write per turn), in one transaction.
   */
  private async save(
    conversationKey: string,
    record: SessionRecord,
    before?: SessionRecord,
    alongWith: WriteOp[] = [],
  ): Promise<void> {
    const stale =
      !before ||
      before.sessionId !== record.sessionId ||
      before.conversationId !== record.conversationId ||
      record.updatedAt - (before.indexedAt ?? 0) > INDEX_REFRESH_MS;
    if (stale) record.indexedAt = record.updatedAt;
    const now = Date.now();
    const writes = [...alongWith, keyvSetOp(SESSIONS, conversationKey, record, this.idleMs, now)];
    if (stale) {
      writes.push(keyvSetOp(INDEX, `s:${record.sessionId}`, conversationKey, this.idleMs, now));
      if (record.conversationId)
        writes.push(keyvSetOp(INDEX, `c:${record.conversationId}`, conversationKey, this.idleMs, now));
    }
    await this.store.batch(writes);
  }
}
