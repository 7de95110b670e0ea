// One string per conversation, the key its session and queue live under.
import type { ConversationRef } from "../adapter.js";

export function conversationKey(ref: ConversationRef): string {
  return [ref.platform, ref.workspaceId, ref.channelId, ref.threadId ?? "-"]
    .map(encodeURIComponent)
    .join(":");
}
