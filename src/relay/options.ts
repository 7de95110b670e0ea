// What the relay is built from (RelayOptions), what it reports (RelayObserver), and the route that
// says which assistant answers a conversation. Kept apart so the relay's parts share the types.
import type { Logger } from "pino";
import type { ConversationRef, InboundMessage, Platform, PlatformAdapter } from "../adapter.js";
import type { AssistantApi } from "../assistant/types.js";
import type { CallBudget } from "../budget/types.js";
import type { StoreHealth } from "../store/health.js";
import type { ProcessLease } from "../store/process-lease.js";
import type { Store } from "../store/types.js";
import type { AccessPolicy } from "./policy.js";
import type { Replies } from "./replies.js";

export interface Route {
  botId: string;
  apiKey: string;
}

/** What the relay reports, so metrics stay outside it. Every method is optional. */
export interface RelayObserver {
  messageIn?(platform: Platform): void;
  messageIgnored?(platform: Platform, reason: string): void;
  messageOut?(platform: Platform): void;
  assistantCall?(outcome: string): void;
  queueDepth?(depth: number): void;
  waited?(ms: number): void;
  /** A human's message was accepted (contact sync listens). */
  accepted?(message: InboundMessage, adapter: PlatformAdapter): void;
  /** The assistant answered a turn (webhooks use this to know the bridge's own messageIds). */
  answered?(turn: { sessionId: string; conversationId: string; messageId: string }): void;
}

export interface RelayOptions {
  store: Store;
  /** This process's lease on the store (shared with contact sync and webhooks); one is made if absent. */
  lease?: ProcessLease;
  /** Where store failures are reported (drives /readyz); one is made if absent. */
  health?: StoreHealth;
  adapters: PlatformAdapter[];
  /** Which assistant (and API key) answers a conversation. */
  route: (conversation: ConversationRef) => Route;
  assistantFor: (apiKey: string) => AssistantApi;
  budgetFor: (apiKey: string) => CallBudget;
  logger: Logger;
  policy?: AccessPolicy;
  mergeQueuedMessages?: boolean;
  maxBacklog?: number;
  maxConversationBacklog?: number;
  longWaitNoticeMs?: number;
  concurrency?: number;
  sessionIdleMs?: number;
  dedupeTtlMs?: number;
  deliveryMaxAttempts?: number;
  deliveryBackoffBaseMs?: number;
  observer?: RelayObserver;
  /**
   * While a human agent has taken a conversation over: keep relaying the assistant's answers, or
   * stay silent (user messages still reach the assistant; its answers are held back and logged).
   */
  handoffMode?: "keep-relaying" | "stay-silent";
  /** The texts users see in a conversation (its route's, over the English defaults). */
  repliesFor?: (conversation: ConversationRef) => Replies;
  /** At most this many messages per user in a sliding window; off when absent. */
  userQuota?: { messages: number; windowMs: number };
  now?: () => number;
}
