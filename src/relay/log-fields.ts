// What the relay logs about chat content: ids and sizes, and user text only when debugging.
import type { ReplyProgress } from "./message-queue.js";

/** A held-back answer (handoff): ids and size; its text only when the logger is at debug level. */
export function heldReplyLog(conversation: string, progress: ReplyProgress, withText: boolean) {
  const reply = progress.chunks.join("\n");
  return {
    conversation,
    sessionId: progress.sessionId,
    conversationId: progress.conversationId,
    messageId: progress.messageId,
    chars: reply.length,
    ...(withText && { reply }),
  };
}
