// How queued messages become one assistant turn: the merged text, and what each message adds to it
// (the scheduler merges a conversation's messages up to the assistant's limit).
import type { InboundMessage } from "../adapter.js";
import type { PendingMessage } from "./message-queue.js";

/** What a message adds to a merged call: its text, the author's name, and the separators. */
export function mergedSize(item: PendingMessage): number {
  return item.message.text.length + (item.message.author.name?.length ?? item.message.author.id.length) + 4;
}

/** Several queued messages become one assistant turn; names are kept when several people spoke. */
export function composeMessage(messages: InboundMessage[]): string {
  if (messages.length === 1) return messages[0]!.text;
  const authors = new Set(messages.map((m) => m.author.id));
  if (authors.size === 1) return messages.map((m) => m.text).join("\n\n");
  return messages.map((m) => `${m.author.name ?? m.author.id}: ${m.text}`).join("\n\n");
}
