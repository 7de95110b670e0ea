// Follows every message the bench sends through the Telegram emulator: when its update was handed to
// the bot (getUpdates answer or webhook push) and when a reply answered it. Each message carries a
// token (q<n>); the emulated assistant echoes the text, so a reply names the messages it answers.
// A reply that answers a chat's k-th message also answers that chat's earlier ones still open:
// ours merges queued messages into one call, Chat SDK's "queue" strategy answers the latest and
// hands the rest to the handler as skipped; either way the user has their answer then. An error
// reply instead closes the chat's oldest open message: that one is refused, not answered.
import type { TelegramEmulator, TgChat, TgUser } from "../../emulators/telegram/emulator.js";

interface Sent {
  id: number;
  chatId: number;
  sentAt: number;
  handedAt?: number;
  answeredAt?: number;
}

const TOKEN = /\bq(\d+)\b/g;
/** What the peers send when the assistant call failed (its error message, or "error ..."). */
const ERROR_REPLY = /too many requests|^error\b/i;

export class Tracker {
  private readonly messages: Sent[] = [];
  private readonly byUpdate = new Map<number, number>();
  private readonly openByChat = new Map<number, number[]>();
  private answeredCount = 0;
  /** Replies naming a message answered before (a second answer to it). */
  duplicates = 0;
  /** Error replies (the peers pass the assistant's refusal on); each closes the chat's oldest open message unanswered. */
  errorReplies = 0;
  /** Other replies naming no message: ours' long-wait notices. */
  notices = 0;
  private lastAnsweredAt = 0;
  private readonly waiters = new Map<number, Array<() => void>>();
  private readonly countWaiters = new Set<{ count: number; resolve: () => void }>();

  constructor(private readonly telegram: TelegramEmulator) {
    telegram.on("update", (update: { update_id: number; message?: { text?: string } }) => {
      const id = firstToken(update.message?.text ?? "");
      if (id !== undefined) this.byUpdate.set(update.update_id, id);
    });
    telegram.on("handedOut", ({ updateIds }: { updateIds: number[] }) => {
      const now = performance.now();
      for (const updateId of updateIds) {
        const id = this.byUpdate.get(updateId);
        const sent = id === undefined ? undefined : this.messages[id];
        if (sent && sent.handedAt === undefined) sent.handedAt = now;
      }
    });
    telegram.on("botMessage", (event: { chatId: number; text: string }) => this.onReply(event));
  }

  /** A user writes in their private chat; returns the message's id. */
  send(user: TgUser, chat: TgChat, words = "hello"): number {
    const id = this.messages.length;
    this.messages.push({ id, chatId: chat.id, sentAt: performance.now() });
    const open = this.openByChat.get(chat.id) ?? [];
    open.push(id);
    this.openByChat.set(chat.id, open);
    this.telegram.userSays(chat, user, `q${id} ${words}`);
    return id;
  }

  /** Resolves when the message has been answered. */
  answered(id: number): Promise<void> {
    if (this.messages[id]?.answeredAt !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
    });
  }

  /** Resolves true once `count` messages in all have been answered, false after timeoutMs. */
  answeredAtLeast(count: number, timeoutMs: number): Promise<boolean> {
    if (this.answeredCount >= count) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.countWaiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.countWaiters.add(waiter);
    });
  }

  get answeredTotal(): number {
    return this.answeredCount;
  }

  get lastAnswerAt(): number {
    return this.lastAnsweredAt;
  }

  /** Added latency (ms) of answered messages among `ids`: handed to the bot → answered. */
  addedLatencies(ids: Iterable<number>): number[] {
    const out: number[] = [];
    for (const id of ids) {
      const m = this.messages[id];
      if (m?.answeredAt !== undefined && m.handedAt !== undefined) out.push(m.answeredAt - m.handedAt);
    }
    return out;
  }

  isAnswered(id: number): boolean {
    return this.messages[id]?.answeredAt !== undefined;
  }

  /** From sending to the answer, in ms (NaN while unanswered). */
  waitMs(id: number): number {
    const m = this.messages[id];
    return m?.answeredAt === undefined ? Number.NaN : m.answeredAt - m.sentAt;
  }

  sentAt(id: number): number {
    return this.messages[id]?.sentAt ?? Number.NaN;
  }

  private onReply({ chatId, text }: { chatId: number; text: string }): void {
    let last = -1;
    for (const match of text.matchAll(TOKEN)) {
      const id = Number(match[1]);
      const m = this.messages[id];
      if (m?.chatId !== chatId) continue;
      if (m.answeredAt !== undefined) this.duplicates++;
      last = Math.max(last, id);
    }
    if (last === -1) {
      if (!ERROR_REPLY.test(text)) {
        this.notices++;
        return;
      }
      this.errorReplies++;
      const open = this.openByChat.get(chatId);
      open?.shift();
      if (open?.length === 0) this.openByChat.delete(chatId);
      return;
    }
    const open = this.openByChat.get(chatId);
    if (!open || open.length === 0) return;
    const now = performance.now();
    while (open.length > 0 && open[0]! <= last) {
      const id = open.shift()!;
      const m = this.messages[id]!;
      m.answeredAt = now;
      this.answeredCount++;
      this.lastAnsweredAt = now;
      for (const resolve of this.waiters.get(id) ?? []) resolve();
      this.waiters.delete(id);
    }
    for (const waiter of this.countWaiters) {
      if (this.answeredCount < waiter.count) continue;
      this.countWaiters.delete(waiter);
      waiter.resolve();
    }
    if (open.length === 0) this.openByChat.delete(chatId);
  }
}

function firstToken(text: string): number | undefined {
  const match = /\bq(\d+)\b/.exec(text);
  return match ? Number(match[1]) : undefined;
}
