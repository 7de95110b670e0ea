// Where a Telegram message belongs and where its reply goes: the conversation key of an update or a
// context (a chat, or a forum topic), the chat id of a reply target, and the reply's topic and quote.
import type { Context } from "grammy";
import type { Update } from "grammy/types";
import type { ReplyTarget } from "../../src/adapter.js";

/** The conversation of a polled update (chat, or forum topic), as conversationKey says for a context. */
export function updateKey(update: Update): string {
  const message = update.message ?? update.edited_message;
  if (!message) return `update:${update.update_id}`;
  const thread = message.is_topic_message ? message.message_thread_id : undefined;
  return thread === undefined ? String(message.chat.id) : `${message.chat.id}:${thread}`;
}

export function conversationKey(ctx: Context): string | undefined {
  const chat = ctx.chat?.id;
  if (chat === undefined) return undefined;
  const thread = ctx.msg?.is_topic_message ? ctx.msg.message_thread_id : undefined;
  return thread === undefined ? String(chat) : `${chat}:${thread}`;
}

export function chatIdOf(target: ReplyTarget): number {
  return Number(target.conversation.channelId);
}

/** Topic and quoting: replies go to the user's forum topic and quote the user's message in groups. */
export function placement(target: ReplyTarget): {
  message_thread_id?: number;
  reply_parameters?: { message_id: number; allow_sending_without_reply: boolean };
} {
  const out: ReturnType<typeof placement> = {};
  if (target.conversation.threadId) out.message_thread_id = Number(target.conversation.threadId);
  const chatType = target.extra?.chatType;
  if (target.replyToMessageId && chatType !== undefined && chatType !== "private") {
    out.reply_parameters = { message_id: Number(target.replyToMessageId), allow_sending_without_reply: true };
  }
  return out;
}
