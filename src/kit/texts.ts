// The texts an adapter shows by itself (a placeholder, a slash command's fallback) for one
// conversation: the route's texts when the sink it was started with knows them (the relay does),
// else the English defaults. One place for that look-up, so every adapter follows the operator's
// per-route texts the same way.
import type { ConversationRef, InboundSink } from "../adapter.js";
import { DEFAULT_TEXTS, type Texts } from "../relay/replies.js";

export function routeTexts(sink: InboundSink | undefined, conversation: ConversationRef): Texts {
  return sink?.texts?.(conversation) ?? DEFAULT_TEXTS;
}
