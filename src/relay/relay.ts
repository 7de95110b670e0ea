// The relay: takes normalized messages from every adapter, keeps each conversation's assistant
// session, queues durably and fairly within the chat budget, calls the assistant, and posts the
// reply back through the adapter the message came from. It implements the adapters' InboundSink.
// Replicas on one store each answer whole conversations: a message another replica is answering
// goes to it (message-queue.ts), and what others handed this one is taken when its line empties.
import type { Logger } from "pino";
import type {
  AcceptOutcome,
  AuthorRef,
  CommandName,
  ConversationRef,
  InboundMessage,
  InboundSink,
  Platform,
  PlatformAdapter,
  ReplyTarget,
} from "../adapter.js";
import type { AssistantApi } from "../assistant/types.js";
import { BoundedSet } from "../bounded-set.js";
import type { CallBudget } from "../budget/types.js";
import { DEFAULTS } from "../defaults.js";
import { AssistantError, DeliveryError, StoreError } from "../errors.js";
import { StoreHealth } from "../store/health.js";
import { ProcessLease } from "../store/process-lease.js";
import type { Store } from "../store/types.js";
import { parseCommand } from "./commands.js";
import { conversationKey } from "./conversation-key.js";
import { KeyDispatch } from "./dispatcher.js";
import { FairScheduler } from "./fair-scheduler.js";
import { asHelpRequest, classifyIntake } from "./intake-checks.js";
import { heldReplyLog } from "./log-fields.js";
import { type Added, MessageQueue, type PendingMessage, type ReplyProgress } from "./message-queue.js";
import { type AccessPolicy, isAllowed } from "./policy.js";
import { REPLIES, type Replies, type Texts } from "./replies.js";
import { SessionStore } from "./sessions.js";
import { splitMessage } from "./split.js";
import { UserQuota } from "./user-quota.js";

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

/** Thrown inside the relay when a batch waiting for budget is left for the next start. */
class LeftForRestart extends Error {}

/** How many stored messages one look for a stopped process's work takes at most. */
const ADOPT_PAGE = 500;

/** How often a batch is retried at relay level (assistant rate limits excepted) before giving up. */
const MAX_BATCH_ATTEMPTS = 5;

export class Relay implements InboundSink {
  readonly sessions: SessionStore;
  readonly lease: ProcessLease;
  readonly health: StoreHealth;
  private readonly pending: MessageQueue;
  /** Messages this process accepted or took over and has not finished: queue id → conversation. */
  private readonly held = new Map<string, string>();
  /**
   * Messages finished here lately: a store answer sent before one was acked may be read after it
   * (its continuation ran later), and must not queue it again.
   */
  private readonly finished = new BoundedSet({ max: 10_000 });
  private adoptTimer?: NodeJS.Timeout;
  /** A write of this process's own queue failed in a way that may have been applied all the same. */
  private unsureOfOwn = false;
  private backlogLoaded: Promise<void> = Promise.resolve();
  private readonly scheduler = new FairScheduler<PendingMessage>({
    // A command, and a reply being resumed, are never merged with what came after them.
    isAlone: (item) => parseCommand(item.message.text) !== undefined || item.reply !== undefined,
    sizeOf: mergedSize,
    maxSize: DEFAULTS.maxAssistantMessageChars,
    laneOf: (item) => this.options.route(item.message.conversation).apiKey,
  });
  /** Calls in flight per API key (the scheduler's lanes), each key within its own limit. */
  private readonly dispatch = new KeyDispatch(
    (apiKey) => this.options.budgetFor(apiKey),
    () => this.options.concurrency,
  );
  private readonly adapters = new Map<Platform, PlatformAdapter>();
  private readonly noticeGiven = new Set<string>();
  private readonly attempts = new Map<string, number>();
  private readonly running = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly observer: RelayObserver;
  private readonly quota?: UserQuota;
  private readonly now: () => number;
  private active = 0;
  private accepts = 0;
  private pendingNotices = 0;
  private idleWaiters: Array<() => void> = [];
  private accepting = false;
  private stopping = false;
  private signalStop: () => void = () => {};
  private stopped: Promise<void> = new Promise((resolve) => {
    this.signalStop = resolve;
  });

  constructor(private readonly options: RelayOptions) {
    for (const adapter of options.adapters) this.adapters.set(adapter.platform, adapter);
    this.now = options.now ?? Date.now;
    this.sessions = new SessionStore(
      options.store,
      options.sessionIdleMs ?? DEFAULTS.sessionIdleMs,
      this.now,
    );
    this.health = options.health ?? new StoreHealth(options.store, options.logger);
    this.lease = options.lease ?? new ProcessLease(options.store, this.health);
    this.pending = new MessageQueue(
      options.store,
      this.lease.owner,
      options.dedupeTtlMs ?? DEFAULTS.dedupeTtlMs,
    );
    this.observer = options.observer ?? {};
    if (options.userQuota) this.quota = new UserQuota({ ...options.userQuota, now: this.now });
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
    this.stopping = false;
    this.stopped = new Promise((resolve) => {
      this.signalStop = resolve;
    });
    await this.lease.start();
    this.options.logger.info(
      { replica: this.lease.owner, leaseMs: this.lease.leaseMs },
      "replica id on the store: it answers whole conversations while its lease lives",
    );
    this.backlogLoaded = this.adoptOrphans();
    await this.backlogLoaded;
    this.accepting = true;
    this.adoptTimer = setInterval(() => void this.adoptOrphans(), this.lease.leaseMs / 6);
    this.adoptTimer.unref();
  }

  /** Resolves once the stored backlog found at start is queued here. */
  get backlogResumed(): Promise<void> {
    return this.backlogLoaded;
  }

  /**
   * Takes over now what stopped or crashed processes left in the store (it also happens every few
   * seconds by itself).
   */
  async adoptOrphans(): Promise<void> {
    let orphans: PendingMessage[];
    // After a store failure mid-write, a message this process refused may have been stored after all.
    const includeOwn = this.unsureOfOwn;
    this.unsureOfOwn = false;
    try {
      await this.lease.releaseDeadPeers();
      orphans = await this.health.watch(
        this.pending.claimOrphans(includeOwn ? { includeOwn } : { limit: ADOPT_PAGE }),
      );
    } catch (error) {
      this.unsureOfOwn ||= includeOwn;
      this.options.logger.warn({ err: error }, "could not look for messages left by a stopped process");
      return;
    }
    const mine = orphans.filter(
      (record) => !this.held.has(record.id) && this.adapters.has(record.message.conversation.platform),
    );
    for (const record of mine) this.schedule(record);
    if (mine.length > 0) {
      this.options.logger.info(
        { count: mine.length },
        "answering messages a stopped process left unanswered",
      );
    }
    this.reportDepth();
    this.pump();
    // A large backlog is taken a page at a time: one failed page costs only itself.
    if (orphans.length === ADOPT_PAGE && mine.length > 0 && !this.stopping) await this.adoptOrphans();
  }

  /**
   * Queues a held message in its conversation's line, in store order; false when it is queued here
   * already.
   */
  private schedule(record: PendingMessage): boolean {
    if (this.held.has(record.id) || this.finished.has(record.id)) return false;
    const convKey = conversationKey(record.message.conversation);
    this.held.set(record.id, convKey);
    this.scheduler.insertInOrder(convKey, record, bySeq);
    return true;
  }

  /**
   * The messages are answered (or given up on): mark them so, and let go of them. When nothing of
   * the conversation waits here any more, the same store write takes what other processes handed
   * this one for it meanwhile (they go to whoever answers the conversation), to be answered next.
   */
  private async finish(convKey: string, items: PendingMessage[]): Promise<void> {
    const thenTake = this.scheduler.queuedFor(convKey) === 0 ? convKey : undefined;
    let handed: PendingMessage[] = [];
    await this.durably(async () => {
      handed = await this.pending.answered(items, thenTake);
    });
    for (const item of items) {
      this.held.delete(item.id);
      this.finished.add(item.id);
    }
    this.scheduleHanded(handed);
  }

  /** Queues what the store says this process holds and does not know yet. */
  private scheduleHanded(records: PendingMessage[]): void {
    const fresh = records.filter(
      (record) => this.adapters.has(record.message.conversation.platform) && this.schedule(record),
    );
    if (fresh.length === 0) return;
    this.reportDepth();
    this.pump();
  }

  /** What this process is answering now, for /metrics: messages and their conversations. */
  holding(): { messages: number; conversations: number } {
    return { messages: this.held.size, conversations: new Set(this.held.values()).size };
  }

  /** Takes the conversation's messages this process holds, retrying while the store is away. */
  private async durablyTake(convKey: string): Promise<PendingMessage[]> {
    let taken: PendingMessage[] = [];
    await this.durably(async () => {
      taken = await this.pending.take(convKey);
    });
    return taken;
  }

  /**
   * Runs a store write that must land (an answered message left in the queue would be answered
   * again), retrying while the store is away. On stop it gives up: the message stays in the store
   * as last written, for the next start.
   */
  private async durably(write: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.health.watch(write());
        return;
      } catch (error) {
        if (!(error instanceof StoreError) || this.stopping) throw error;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(200 * attempt, 2000));
          void this.stopped.then(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    }
  }

  /**
   * Stops intake and lets assistant calls already in flight finish and post. Batches still waiting
   * for budget stay in the store and are answered after the next start.
   */
  async stop(): Promise<void> {
    this.accepting = false;
    this.stopping = true;
    this.signalStop();
    clearInterval(this.adoptTimer);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
    await this.backlogLoaded;
    await this.lease.stop();
    this.health.stop();
  }

  get backlog(): number {
    return this.scheduler.size;
  }

  async accept(received: InboundMessage): Promise<AcceptOutcome> {
    let message = received;
    const platform = message.conversation.platform;
    this.observer.messageIn?.(platform);
    const ignore = (reason: string): AcceptOutcome => {
      this.observer.messageIgnored?.(platform, reason);
      return { status: "ignored", reason };
    };
    if (!this.accepting) return ignore("not accepting (starting or shutting down)");
    if (message.author.isBot) return ignore("from a bot");
    if (this.options.policy && !isAllowed(this.options.policy, message)) return ignore("denied by policy");
    const intake = classifyIntake(message);
    if (intake.kind === "empty") return ignore("empty message");
    if (intake.kind === "bare-mention") message = asHelpRequest(message);

    this.accepts++;
    try {
      const convKey = conversationKey(message.conversation);
      if (
        !message.isDirect &&
        !message.addressesBot &&
        !(await this.health.watch(this.sessions.get(convKey)))
      ) {
        return ignore("not addressed to the bot");
      }
      const replies = this.replies(message.conversation);
      if (intake.kind === "files-only") {
        if (!(await this.noticeOnly(message, replies.filesNote))) return { status: "duplicate" };
        return ignore("files only");
      }
      if (message.text.length > DEFAULTS.maxAssistantMessageChars) {
        if (!(await this.noticeOnly(message, replies.tooLong(DEFAULTS.maxAssistantMessageChars))))
          return { status: "duplicate" };
        return ignore("longer than the assistant accepts");
      }
      const quota = this.takeQuota(message);
      if (quota !== "ok") {
        const { messages, windowMs } = this.options.userQuota!;
        const fresh = await this.noticeOnly(
          message,
          quota === "over-tell" ? replies.quotaReached(messages, windowMs) : undefined,
        );
        return fresh ? ignore("over the user's quota") : { status: "duplicate" };
      }
      if (
        this.scheduler.size >= (this.options.maxBacklog ?? DEFAULTS.maxBacklog) ||
        this.scheduler.queuedFor(convKey) >=
          (this.options.maxConversationBacklog ?? DEFAULTS.maxConversationBacklog)
      ) {
        this.options.logger.warn({ conversation: convKey }, "backlog full: asked the user to retry");
        this.sendQuietly(message.replyTarget, replies.backlogFull);
        return { status: "rejected", reason: "backlog-full" };
      }
      let added: Added | undefined;
      try {
        added = await this.health.watch(this.pending.add(message, this.now()));
      } catch (error) {
        this.unsureOfOwn = true;
        throw error;
      }
      if (!added) {
        // The redelivery of a message whose storing seemed to fail: it may be stored and held by no one.
        if (this.unsureOfOwn) void this.adoptOrphans();
        return { status: "duplicate" };
      }
      if (intake.kind === "text" && intake.filesNote)
        this.sendQuietly(message.replyTarget, replies.filesNote);
      this.observer.accepted?.(message, this.adapterFor(platform));
      // Another replica is answering this conversation: it takes the message after what it has.
      if (!added.mine) return { status: "queued", position: 1 };
      // Older messages other replicas handed this one, not known here yet, go first.
      if (added.earlier.some((id) => !this.held.has(id) && !this.finished.has(id)))
        this.scheduleHanded(await this.durablyTake(convKey));
      this.schedule(added.record);
      const position = this.scheduler.positionOf(convKey);
      this.maybeNoticeLongWait(convKey, message, position);
      this.reportDepth();
      this.pump();
      return { status: "queued", position };
    } finally {
      this.accepts--;
      this.checkIdle();
    }
  }

  /** Records the message as answered (so a redelivery is a duplicate) and posts `notice`, if any. */
  /**
   * Answers a message with a notice alone (or nothing), never the assistant; its id is claimed so a
   * redelivery is not answered again. False when it was seen before.
   */
  private async noticeOnly(message: InboundMessage, notice: string | undefined): Promise<boolean> {
    if (!(await this.health.watch(this.pending.markSeen(message)))) return false;
    if (notice) this.sendQuietly(message.replyTarget, notice);
    return true;
  }

  /** Counts a message (commands excepted) against its author's quota, when one is configured. */
  private takeQuota(message: InboundMessage): "ok" | "over-tell" | "over-quiet" {
    if (!this.quota || parseCommand(message.text)) return "ok";
    const { platform, workspaceId } = message.conversation;
    return this.quota.take(`${platform}:${workspaceId}:${message.author.id}`);
  }

  /** Resolves once nothing is being accepted, waiting or in flight (the console waits on it). */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
  }

  private checkIdle(): void {
    if (this.accepts > 0 || this.active > 0 || this.scheduler.size > 0 || this.pendingNotices > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  async command(name: CommandName, conversation: ConversationRef, _author: AuthorRef): Promise<string> {
    if (name === "help") return this.replies(conversation).help;
    const convKey = conversationKey(conversation);
    const current = await this.sessions.get(convKey);
    const target = current?.target ?? { conversation };
    const botId = current?.botId ?? this.options.route(conversation).botId;
    await this.sessions.start(convKey, botId, target);
    return this.replies(conversation).reset;
  }

  private async replyToCommand(
    command: ReturnType<typeof parseCommand>,
    message: InboundMessage,
    convKey: string,
  ): Promise<void> {
    const replies = this.replies(message.conversation);
    let text: string = replies.help;
    if (command === "start") text = replies.greeting;
    if (command === "reset") {
      await this.sessions.start(convKey, this.options.route(message.conversation).botId, message.replyTarget);
      text = replies.reset;
    }
    try {
      await this.deliver(this.adapterFor(message.conversation.platform), message.replyTarget, text);
    } catch (error) {
      this.options.logger.warn({ err: error }, "could not answer a command");
    }
  }

  private pump(): void {
    const merge = this.options.mergeQueuedMessages ?? DEFAULTS.mergeQueuedMessages;
    while (!this.stopping) {
      const batch = this.scheduler.take(merge ? Number.POSITIVE_INFINITY : 1, (apiKey) =>
        this.dispatch.hasRoom(apiKey),
      );
      if (!batch) break;
      this.active++;
      this.dispatch.begin(batch.lane);
      const run = this.process(batch.conversationKey, batch.items).finally(() => {
        this.active--;
        this.dispatch.end(batch.lane);
        this.running.delete(run);
        this.reportDepth();
        this.pump();
        this.checkIdle();
      });
      this.running.add(run);
    }
  }

  private async process(convKey: string, items: PendingMessage[]): Promise<void> {
    const leader = items[0]!;
    const command = parseCommand(leader.message.text);
    if (command) {
      await this.replyToCommand(command, leader.message, convKey);
      await this.finish(convKey, items);
      this.scheduler.done(convKey);
      return;
    }
    const latest = () => items.at(-1)!.message;
    const adapter = this.adapterFor(leader.message.conversation.platform);
    const route = this.options.route(leader.message.conversation);
    const typing = adapter.startTyping(latest().replyTarget);
    let outcome: "answered" | "retry" = "answered";
    let retryAfterMs: number | undefined;
    try {
      let progress = leader.reply ?? (await this.askAssistant(convKey, items, route));
      const target = latest().replyTarget;
      if (progress.posted === 0 && (await this.holdsReplies(convKey))) {
        this.options.logger.info(
          heldReplyLog(convKey, progress, this.options.logger.isLevelEnabled("debug")),
          "a human agent has this conversation: the assistant's answer is held back",
        );
        progress = { ...progress, posted: progress.chunks.length };
      }
      for (let i = progress.posted; i < progress.chunks.length; i++) {
        await this.deliver(adapter, target, progress.chunks[i]!);
        progress = { ...progress, posted: i + 1 };
        const posted = progress;
        if (i + 1 < progress.chunks.length)
          await this.durably(() => this.pending.chunkPosted(leader, posted));
      }
      await this.finish(convKey, items);
    } catch (error) {
      // Stopping while the store was away: the messages stay in the store for the next start.
      if (error instanceof LeftForRestart || error instanceof StoreError) return;
      const decision = await this.onFailure(error, items, adapter);
      outcome = decision.retry ? "retry" : "answered";
      retryAfterMs = decision.retryAfterMs;
    } finally {
      typing.stop();
    }
    if (outcome === "retry" && !this.stopping) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.scheduler.requeue(convKey, items);
        this.pump();
      }, retryAfterMs ?? 1000);
      this.timers.add(timer);
      return;
    }
    if (outcome === "retry") return;
    this.attempts.delete(leader.key);
    this.scheduler.done(convKey);
    if (this.scheduler.queuedFor(convKey) === 0) this.noticeGiven.delete(convKey);
  }

  private async askAssistant(convKey: string, items: PendingMessage[], route: Route): Promise<ReplyProgress> {
    const merge = this.options.mergeQueuedMessages ?? DEFAULTS.mergeQueuedMessages;
    const adapter = this.adapterFor(items[0]!.message.conversation.platform);
    let called = false;
    const scheduled = this.options.budgetFor(route.apiKey).schedule(async () => {
      if (this.stopping) throw new LeftForRestart();
      called = true;
      if (merge) {
        const taken = items.reduce((size, item) => size + mergedSize(item), 0);
        items.push(...this.scheduler.takeMore(convKey, Number.POSITIVE_INFINITY, taken));
      }
      const session = await this.sessions.ensure(convKey, route.botId, items.at(-1)!.message.replyTarget);
      for (const item of items) this.observer.waited?.(this.now() - item.acceptedAt);
      try {
        const answer = await this.options.assistantFor(route.apiKey).chat({
          botId: route.botId,
          message: composeMessage(items.map((i) => i.message)),
          sessionId: session.sessionId,
        });
        this.observer.assistantCall?.("ok");
        return { answer, session };
      } catch (error) {
        this.observer.assistantCall?.(error instanceof AssistantError ? error.code : "UNKNOWN");
        throw error;
      }
    });
    scheduled.catch(() => {});
    const reply = await Promise.race([
      scheduled,
      this.stopped.then(() => {
        if (!called) throw new LeftForRestart();
        return scheduled;
      }),
    ]);
    const progress: ReplyProgress = {
      chunks: splitMessage(reply.answer.response, adapter.maxMessageLength),
      posted: 0,
      sessionId: reply.session.sessionId,
      conversationId: reply.answer.conversationId,
      messageId: reply.answer.messageId,
    };
    if (progress.chunks.length === 0) progress.chunks.push("…");
    await this.durably(() => this.pending.beginReply(items, progress));
    await this.durably(async () => {
      await this.sessions.recordTurn(convKey, reply.session, {
        conversationId: reply.answer.conversationId,
        messageId: reply.answer.messageId,
        target: items.at(-1)!.message.replyTarget,
      });
    });
    this.observer.answered?.({
      sessionId: reply.session.sessionId,
      conversationId: reply.answer.conversationId,
      messageId: reply.answer.messageId,
    });
    return progress;
  }

  /** Decides between retrying the batch later and apologising; never drops silently. */
  private async onFailure(
    error: unknown,
    items: PendingMessage[],
    adapter: PlatformAdapter,
  ): Promise<{ retry: boolean; retryAfterMs?: number }> {
    const leader = items[0]!;
    const convKey = conversationKey(leader.message.conversation);
    const target = items.at(-1)!.message.replyTarget;
    const attempt = (this.attempts.get(leader.key) ?? 0) + 1;
    this.attempts.set(leader.key, attempt);
    const log = this.options.logger;
    if (error instanceof AssistantError && error.code === "RATE_LIMIT_EXCEEDED") {
      log.warn({ code: error.code }, "assistant rate limit: message waits for the budget");
      return { retry: true, retryAfterMs: error.options.retryAfterMs ?? 1000 };
    }
    if (error instanceof StoreError) {
      log.warn({ code: error.code }, "the store failed mid-turn: the batch waits for it");
      return { retry: true, retryAfterMs: 1000 };
    }
    if (error instanceof DeliveryError) {
      if (error.retryable && attempt < MAX_BATCH_ATTEMPTS) {
        log.warn({ err: error, attempt }, "could not post the reply yet; will retry");
        return { retry: true, retryAfterMs: error.options.retryAfterMs ?? 2000 * attempt };
      }
      log.error({ err: error, attempt }, "gave up posting a reply: the platform refused it");
      await this.finish(convKey, items);
      return { retry: false };
    }
    const code = error instanceof AssistantError ? error.code : "UNKNOWN";
    if (error instanceof AssistantError && error.retryable && attempt < 2) {
      log.warn(
        { code, attempt },
        "assistant call failed after the client's retries; trying the batch once more",
      );
      return { retry: true, retryAfterMs: 2000 };
    }
    const level =
      code === "INVALID_API_KEY" || code === "BOT_NOT_FOUND" || code === "UNKNOWN" ? "error" : "warn";
    log[level]({ err: error, code }, "assistant call failed; apologising to the user");
    try {
      await this.deliver(adapter, target, this.replies(target.conversation).apology(code));
    } catch (deliveryError) {
      log.error({ err: deliveryError }, "could not post the apology either");
    }
    await this.finish(convKey, items);
    return { retry: false };
  }

  /** Posts one chunk, retrying transport failures within bounds. */
  private async deliver(adapter: PlatformAdapter, target: ReplyTarget, text: string): Promise<void> {
    const maxAttempts = this.options.deliveryMaxAttempts ?? DEFAULTS.deliveryMaxAttempts;
    const base = this.options.deliveryBackoffBaseMs ?? DEFAULTS.deliveryBackoffBaseMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await adapter.send(target, text);
        this.observer.messageOut?.(adapter.platform);
        return;
      } catch (error) {
        const retryable = error instanceof DeliveryError ? error.retryable : false;
        if (!retryable || attempt >= maxAttempts) {
          throw error instanceof DeliveryError
            ? error
            : new DeliveryError("posting the reply failed", false, { cause: error });
        }
        const wait = (error as DeliveryError).options.retryAfterMs ?? base * 2 ** (attempt - 1);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  /** A human agent answered in this conversation; handoff lasts until `untilMs`. */
  async markHandoff(conversationKey: string, untilMs: number): Promise<void> {
    await this.options.store.set(`handoff:${conversationKey}`, untilMs, Math.max(1, untilMs - this.now()));
  }

  /** Posts text that did not come from a relayed turn (a dashboard agent, a follow-up). */
  async postToConversation(target: ReplyTarget, text: string): Promise<void> {
    const adapter = this.adapterFor(target.conversation.platform);
    for (const chunk of splitMessage(text, adapter.maxMessageLength))
      await this.deliver(adapter, target, chunk);
  }

  private async holdsReplies(conversationKey: string): Promise<boolean> {
    if (this.options.handoffMode !== "stay-silent") return false;
    const until = await this.options.store.get<number>(`handoff:${conversationKey}`);
    return until !== undefined && until > this.now();
  }

  private maybeNoticeLongWait(convKey: string, message: InboundMessage, position: number): void {
    if (this.noticeGiven.has(convKey) || position <= 1) return;
    const waitMs = this.options
      .budgetFor(this.options.route(message.conversation).apiKey)
      .estimateWaitMs(position - 1);
    if (waitMs < (this.options.longWaitNoticeMs ?? DEFAULTS.longWaitNoticeMs)) return;
    this.noticeGiven.add(convKey);
    this.sendQuietly(message.replyTarget, this.replies(message.conversation).longWait(position, waitMs));
  }

  /** Sends a short notice; failure is logged, never thrown (the notice is a courtesy). */
  private sendQuietly(target: ReplyTarget, text: string): void {
    const adapter = this.adapters.get(target.conversation.platform);
    if (!adapter) return;
    this.pendingNotices++;
    this.deliver(adapter, target, text)
      .catch((error) => this.options.logger.warn({ err: error }, "could not post a notice to the user"))
      .finally(() => {
        this.pendingNotices--;
        this.checkIdle();
      });
  }

  private adapterFor(platform: Platform): PlatformAdapter {
    const adapter = this.adapters.get(platform);
    if (!adapter) throw new Error(`no adapter for platform ${platform}`);
    return adapter;
  }

  private reportDepth(): void {
    this.observer.queueDepth?.(this.scheduler.size);
  }
}

function bySeq(a: PendingMessage, b: PendingMessage): number {
  return a.seq - b.seq;
}

/** What a message adds to a merged call: its text, the author's name, and the separators. */
function mergedSize(item: PendingMessage): number {
  return item.message.text.length + (item.message.author.name?.length ?? item.message.author.id.length) + 4;
}

/** Several queued messages become one assistant turn; names are kept when several people spoke. */
export function composeMessage(messages: InboundMessage[]): string {
  if (messages.length === 1) return messages[0]!.text;
  const authors = new Set(messages.map((m) => m.author.id));
  if (authors.size === 1) return messages.map((m) => m.text).join("\n\n");
  return messages.map((m) => `${m.author.name ?? m.author.id}: ${m.text}`).join("\n\n");
}
