// What the relay's parts (intake, dispatch, delivery, handoff, holdings) share: its options, the
// conversation lines, the store queue and sessions, and two calls back into the whole relay.
import type { ConversationRef } from "../adapter.js";
import type { StoreHealth } from "../store/health.js";
import type { FairScheduler } from "./fair-scheduler.js";
import type { Lifecycle } from "./lifecycle.js";
import type { MessageQueue, PendingMessage } from "./message-queue.js";
import type { RelayObserver, RelayOptions } from "./options.js";
import type { Replies } from "./replies.js";
import type { SessionStore } from "./sessions.js";

export interface RelayContext {
  readonly options: RelayOptions;
  readonly observer: RelayObserver;
  readonly now: () => number;
  readonly life: Lifecycle;
  readonly health: StoreHealth;
  /** Each conversation's line of messages held here, served fairly per API key. */
  readonly scheduler: FairScheduler<PendingMessage>;
  /** The durable queue in the store. */
  readonly pending: MessageQueue;
  readonly sessions: SessionStore;
  replies(conversation: ConversationRef): Replies;
  /** Reports the queue depth and starts what has room. */
  wake(): void;
  /** Something settled: resolves idle waiters when nothing is left. */
  checkIdle(): void;
}
