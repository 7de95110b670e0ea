// The relay: takes normalized messages from every adapter, keeps each conversation's assistant
// session, queues durably and fairly within the chat budget, calls the assistant, and posts the
// reply back through the adapter the message came from. It implements the adapters' InboundSink.
// Replicas on one store each answer whole conversations: a message another replica is answering
// goes to it (message-queue.ts), and what others handed this one is taken when its line empties.
// This file wires the parts and runs their life cycle: intake.ts (up to a place in line),
// dispatch.ts (budget, assistant, failure policy), delivery.ts (posting, retries, notices),
// handoff.ts (human agents), adoption.ts (what this replica holds, orphans, durable writes).
import type {
  AcceptOutcome,
  AuthorRef,
  CommandName,
  ConversationRef,
  InboundMessage,
  InboundSink,
  Platform,
  ReplyTarget,
} from "../adapter.js";
import { DEFAULTS } from "../defaults.js";
import { StoreHealth } from "../store/health.js";
import { ProcessLease } from "../store/process-lease.js";
import { Holdings } from "./adoption.js";
import { parseCommand } from "./commands.js";
import { mergedSize } from "./compose.js";
import type { RelayContext } from "./context.js";
import { Delivery, WaitNotices } from "./delivery.js";
import { Dispatch } from "./dispatch.js";
import { FairScheduler } from "./fair-scheduler.js";
import { Handoff } from "./handoff.js";
import { Intake } from "./intake.js";
import { Lifecycle } from "./lifecycle.js";
import { MessageQueue, type PendingMessage } from "./message-queue.js";
import type { RelayOptions } from "./options.js";
import { REPLIES, type Replies, type Texts } from "./replies.js";
import { SessionStore } from "./sessions.js";

export { composeMessage } from "./compose.js";
export type { RelayObserver, RelayOptions, Route } from "./options.js";

export class Relay implements InboundSink {
  readonly sessions: SessionStore;
  readonly lease: ProcessLease;
  readonly health: StoreHealth;
  private readonly life = new Lifecycle();
  private readonly scheduler: FairScheduler<PendingMessage>;
  private readonly holdings: Holdings;
  private readonly delivery: Delivery;
  private readonly intake: Intake;
  private readonly dispatch: Dispatch;
  private readonly handoff: Handoff;
  private adoptTimer?: NodeJS.Timeout;
  private backlogLoaded: Promise<void> = Promise.resolve();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: RelayOptions) {
    const now = options.now ?? Date.now;
    this.sessions = new SessionStore(options.store, options.sessionIdleMs ?? DEFAULTS.sessionIdleMs, now);
    this.health = options.health ?? new StoreHealth(options.store, options.logger);
    this.lease = options.lease ?? new ProcessLease(options.store, this.health);
    this.scheduler = new FairScheduler<PendingMessage>({
      // A command, and a reply being resumed, are never merged with what came after them.
      isAlone: (item) => parseCommand(item.message.text) !== undefined || item.reply !== undefined,
      sizeOf: mergedSize,
      maxSize: DEFAULTS.maxAssistantMessageChars,
      laneOf: (item) => options.route(item.message.conversation).apiKey,
    });
    const ctx: RelayContext = {
      options,
      observer: options.observer ?? {},
      now,
      life: this.life,
      health: this.health,
      scheduler: this.scheduler,
      pending: new MessageQueue(options.store, this.lease.owner, options.dedupeTtlMs ?? DEFAULTS.dedupeTtlMs),
      sessions: this.sessions,
      replies: (conversation) => this.replies(conversation),
      wake: () => {
        ctx.observer.queueDepth?.(this.scheduler.size);
        this.dispatch.pump();
      },
      checkIdle: () => this.checkIdle(),
    };
    this.delivery = new Delivery(ctx, options.adapters);
    const notices = new WaitNotices(ctx, this.delivery);
    this.holdings = new Holdings(ctx, this.lease, (platform) => this.delivery.handles(platform));
    this.handoff = new Handoff(options.store, options.handoffMode, now);
    this.intake = new Intake(ctx, this.holdings, this.delivery, notices);
    this.dispatch = new Dispatch(ctx, {
      holdings: this.holdings,
      delivery: this.delivery,
      notices,
      handoff: this.handoff,
      intake: this.intake,
    });
  }

  private replies(conversation: ConversationRef): Replies {
    return this.options.repliesFor?.(conversation) ?? REPLIES;
  }

  /** The texts of a conversation's route, for adapters that show texts of their own (InboundSink.texts). */
  texts(conversation: ConversationRef): Texts {
    return this.replies(conversation).texts;
  }

  /**
   * Takes over what a process that stopped or died left in the store (before taking new messages,
   * so that they are answered first), then takes new messages. While running it keeps looking for
   * work a crashed peer left behind, which becomes free when the peer's lease runs out.
   */
  async start(): Promise<void> {
    this.life.begin();
    await this.lease.start();
    this.options.logger.info(
      { replica: this.lease.owner, leaseMs: this.lease.leaseMs },
      "replica id on the store: it answers whole conversations while its lease lives",
    );
    this.backlogLoaded = this.adoptOrphans();
    await this.backlogLoaded;
    this.life.accepting = true;
    this.adoptTimer = setInterval(() => void this.adoptOrphans(), this.lease.leaseMs / 6);
    this.adoptTimer.unref();
  }

  /**
   * The platform is still to connect (call before start()): what this process holds for it is
   * answered once platformConnected() says it can be posted.
   */
  platformConnecting(platform: Platform): void {
    this.holdings.awaitConnection(platform);
  }

  platformConnected(platform: Platform): void {
    this.holdings.connected(platform);
  }

  /** Resolves once the stored backlog found at start is queued here. */
  get backlogResumed(): Promise<void> {
    return this.backlogLoaded;
  }

  /**
   * Takes over now what stopped or crashed processes left in the store (it also happens every few
   * seconds by itself).
   */
  adoptOrphans(): Promise<void> {
    return this.holdings.adoptOrphans();
  }

  /** What this process is answering now, for /metrics: messages and their conversations. */
  holding(): { messages: number; conversations: number } {
    return this.holdings.holding();
  }

  /**
   * Stops intake and lets assistant calls already in flight finish and post. Batches still waiting
   * for budget stay in the store and are answered after the next start.
   */
  async stop(): Promise<void> {
    this.life.end();
    clearInterval(this.adoptTimer);
    await this.dispatch.stop();
    await this.backlogLoaded;
    await this.lease.stop();
    this.health.stop();
  }

  get backlog(): number {
    return this.scheduler.size;
  }

  accept(received: InboundMessage): Promise<AcceptOutcome> {
    return this.intake.accept(received);
  }

  /** Resolves once nothing is being accepted, waiting or in flight (the console waits on it). */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
  }

  private checkIdle(): void {
    if (this.intake.busy || this.dispatch.busy || this.scheduler.size > 0 || this.delivery.busy) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  command(name: CommandName, conversation: ConversationRef, author: AuthorRef): Promise<string> {
    return this.intake.command(name, conversation, author);
  }

  /** A human agent answered in this conversation; handoff lasts until `untilMs`. */
  markHandoff(conversationKey: string, untilMs: number): Promise<void> {
    return this.handoff.mark(conversationKey, untilMs);
  }

  /** Posts text that did not come from a relayed turn (a dashboard agent, a follow-up). */
  postToConversation(target: ReplyTarget, text: string): Promise<void> {
    return this.delivery.postToConversation(target, text);
  }
}
