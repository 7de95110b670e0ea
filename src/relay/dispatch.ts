// Dispatch: takes batches from the conversation lines fairly, per API key within its budget and
// concurrency (merging a conversation's queued messages into one turn when configured), asks the
// assistant, posts the reply chunk by chunk (resumable after a restart), and decides after a
// failure between trying the batch again later and apologising to the user.
import type { PlatformAdapter } from "../adapter.js";
import type { CallBudget, WaitingPlace } from "../budget/types.js";
import { DEFAULTS } from "../defaults.js";
import { AssistantError, DeliveryError, StoreError } from "../errors.js";
import type { Holdings } from "./adoption.js";
import { parseCommand } from "./commands.js";
import { composeMessage, mergedSize } from "./compose.js";
import type { RelayContext } from "./context.js";
import { conversationKey } from "./conversation-key.js";
import type { Delivery, WaitNotices } from "./delivery.js";
import type { Handoff } from "./handoff.js";
import type { Intake } from "./intake.js";
import { KeyDispatch } from "./key-dispatch.js";
import { LeftForRestart } from "./lifecycle.js";
import { heldReplyLog } from "./log-fields.js";
import type { PendingMessage, ReplyProgress } from "./message-queue.js";
import type { Route } from "./options.js";
import { splitMessage } from "./split.js";

/** The relay's other parts a batch goes through. */
export interface DispatchParts {
  holdings: Holdings;
  delivery: Delivery;
  notices: WaitNotices;
  handoff: Handoff;
  intake: Pick<Intake, "answerCommand">;
}

export class Dispatch {
  /** Calls in flight per API key (the scheduler's lanes), each key within its own limit. */
  private readonly keys: KeyDispatch;
  private readonly running = new Set<Promise<void>>();
  /** Batches waiting to be tried again. */
  private readonly timers = new Set<NodeJS.Timeout>();
  private active = 0;
  /** Budgets told which of this relay's conversations wait for them (alsoWaiting). */
  private readonly lined = new WeakSet<CallBudget>();

  constructor(
    private readonly ctx: RelayContext,
    private readonly parts: DispatchParts,
  ) {
    this.keys = new KeyDispatch(
      (apiKey) => ctx.options.budgetFor(apiKey),
      () => ctx.options.concurrency,
    );
  }

  get busy(): boolean {
    return this.active > 0;
  }

  /** Starts every batch that has room now. */
  pump(): void {
    const { ctx } = this;
    const merge = ctx.options.mergeQueuedMessages ?? DEFAULTS.mergeQueuedMessages;
    while (!ctx.life.stopping) {
      const batch = ctx.scheduler.take(merge ? Number.POSITIVE_INFINITY : 1, (apiKey) =>
        this.keys.hasRoom(apiKey),
      );
      if (!batch) break;
      this.active++;
      this.keys.begin(batch.lane);
      const run = this.process(batch.conversationKey, batch.items).finally(() => {
        this.active--;
        this.keys.end(batch.lane);
        this.running.delete(run);
        ctx.observer.queueDepth?.(ctx.scheduler.size);
        this.pump();
        ctx.checkIdle();
      });
      this.running.add(run);
    }
  }

  /** Drops the batches waiting to be tried again (they stay in the store) and waits for those in flight. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }

  private async process(convKey: string, items: PendingMessage[]): Promise<void> {
    const { ctx, parts } = this;
    const leader = items[0]!;
    const command = parseCommand(leader.message.text);
    if (command) {
      await parts.intake.answerCommand(command, leader.message, convKey);
      await parts.holdings.finish(convKey, items);
      ctx.scheduler.done(convKey);
      return;
    }
    const latest = () => items.at(-1)!.message;
    const adapter = parts.delivery.adapterFor(leader.message.conversation.platform);
    const route = ctx.options.route(leader.message.conversation);
    const typing = adapter.startTyping(latest().replyTarget);
    let outcome: "answered" | "retry" = "answered";
    let retryAfterMs: number | undefined;
    let callStartedAt: number | undefined;
    try {
      let progress =
        leader.reply ??
        (await this.askAssistant(convKey, items, route, () => {
          callStartedAt = ctx.now();
        }));
      const target = latest().replyTarget;
      if (progress.posted === 0 && (await parts.handoff.holdsReplies(convKey))) {
        const { logger } = ctx.options;
        logger.info(
          heldReplyLog(convKey, progress, logger.isLevelEnabled("debug")),
          "a human agent has this conversation: the assistant's answer is held back",
        );
        progress = { ...progress, posted: progress.chunks.length };
      }
      for (let i = progress.posted; i < progress.chunks.length; i++) {
        await parts.delivery.deliver(adapter, target, progress.chunks[i]!);
        progress = { ...progress, posted: i + 1 };
        const posted = progress;
        if (i + 1 < progress.chunks.length)
          await parts.holdings.durably(() => ctx.pending.chunkPosted(leader, posted));
      }
      await parts.holdings.finish(convKey, items);
    } catch (error) {
      // Stopping while the store was away: the messages stay in the store for the next start.
      // While running, a store failure mid-turn is retried below like any other passing failure.
      if (error instanceof LeftForRestart || (error instanceof StoreError && ctx.life.stopping)) return;
      const decision = await this.onFailure(error, items, adapter);
      outcome = decision.retry ? "retry" : "answered";
      retryAfterMs = decision.retryAfterMs;
    } finally {
      typing.stop();
      // The call held its place in flight until its reply was posted and recorded: that, not the
      // assistant's latency alone, sizes how many calls the key keeps in flight.
      if (callStartedAt !== undefined)
        ctx.options.budgetFor(route.apiKey).noteHeld?.(ctx.now() - callStartedAt);
    }
    if (outcome === "retry" && !ctx.life.stopping) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        ctx.scheduler.requeue(convKey, items);
        this.pump();
      }, retryAfterMs ?? 1000);
      this.timers.add(timer);
      return;
    }
    if (outcome === "retry") return;
    ctx.scheduler.done(convKey);
    if (ctx.scheduler.queuedFor(convKey) === 0) parts.notices.forget(convKey);
  }

  /** The key's budget, told on first use which of this relay's conversations wait for it. */
  private budgetFor(apiKey: string): CallBudget {
    const budget = this.ctx.options.budgetFor(apiKey);
    if (!this.lined.has(budget)) {
      this.lined.add(budget);
      budget.alsoWaiting?.(() => this.waitingFor(apiKey));
    }
    return budget;
  }

  /** Conversations of the key's lane waiting for their turn, each since its oldest message. */
  private *waitingFor(apiKey: string): Iterable<WaitingPlace> {
    for (const [conversation, items] of this.ctx.scheduler.waitingIn(apiKey)) {
      let waitingSince = Number.POSITIVE_INFINITY;
      for (const item of items) waitingSince = Math.min(waitingSince, item.acceptedAt);
      if (items.length > 0) yield { waitingSince, conversation };
    }
  }

  private async askAssistant(
    convKey: string,
    items: PendingMessage[],
    route: Route,
    onCallStart: () => void,
  ): Promise<ReplyProgress> {
    const { ctx, parts } = this;
    const { options, observer, life } = ctx;
    const merge = options.mergeQueuedMessages ?? DEFAULTS.mergeQueuedMessages;
    const adapter = parts.delivery.adapterFor(items[0]!.message.conversation.platform);
    let called = false;
    // Free slots go to the conversation that has waited longest, whichever replica holds it.
    const place = {
      waitingSince: Math.min(...items.map((item) => item.acceptedAt)),
      conversation: convKey,
      timedByCaller: true,
    };
    const scheduled = this.budgetFor(route.apiKey).schedule(async () => {
      if (life.stopping) throw new LeftForRestart();
      called = true;
      onCallStart();
      if (merge) {
        const taken = items.reduce((size, item) => size + mergedSize(item), 0);
        items.push(...ctx.scheduler.takeMore(convKey, Number.POSITIVE_INFINITY, taken));
      }
      const session = await ctx.sessions.ensure(convKey, route.botId, items.at(-1)!.message.replyTarget);
      for (const item of items) observer.waited?.(ctx.now() - item.acceptedAt);
      try {
        const answer = await options.assistantFor(route.apiKey).chat({
          botId: route.botId,
          message: composeMessage(items.map((i) => i.message)),
          sessionId: session.sessionId,
        });
        observer.assistantCall?.("ok");
        return { answer, session };
      } catch (error) {
        observer.assistantCall?.(error instanceof AssistantError ? error.code : "UNKNOWN");
        throw error;
      }
    }, place);
    // A stop before the call began leaves the batch for the next start; a call already made is awaited.
    // (A listener removed afterwards, not a reaction on a promise that lives until stop: that would
    // keep every batch's answer in memory for the life of the process.)
    const reply = await new Promise<Awaited<typeof scheduled>>((resolve, reject) => {
      const onStop = () => {
        if (!called) reject(new LeftForRestart());
      };
      life.signal.addEventListener("abort", onStop, { once: true });
      if (life.signal.aborted) onStop();
      scheduled.then(resolve, reject).finally(() => life.signal.removeEventListener("abort", onStop));
    });
    const progress: ReplyProgress = {
      chunks: splitMessage(reply.answer.response, adapter.maxMessageLength),
      posted: 0,
      sessionId: reply.session.sessionId,
      conversationId: reply.answer.conversationId,
      messageId: reply.answer.messageId,
    };
    if (progress.chunks.length === 0) progress.chunks.push("…");
    // The reply and the session's turn land together: one transaction per answered batch.
    await parts.holdings.durably(async () => {
      await ctx.sessions.recordTurn(
        convKey,
        reply.session,
        {
          conversationId: reply.answer.conversationId,
          messageId: reply.answer.messageId,
          target: items.at(-1)!.message.replyTarget,
        },
        ctx.pending.beginReplyWrites(items, progress),
      );
    });
    observer.answered?.({
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
    const { ctx, parts } = this;
    const leader = items[0]!;
    const convKey = conversationKey(leader.message.conversation);
    const target = items.at(-1)!.message.replyTarget;
    const log = ctx.options.logger;
    if (error instanceof AssistantError && error.code === "RATE_LIMIT_EXCEEDED") {
      log.warn({ code: error.code }, "assistant rate limit: message waits for the budget");
      return { retry: true, retryAfterMs: error.options.retryAfterMs ?? 1000 };
    }
    if (error instanceof StoreError) {
      log.warn({ code: error.code }, "the store failed mid-turn: the batch waits for it");
      return { retry: true, retryAfterMs: 1000 };
    }
    if (error instanceof DeliveryError) {
      // Posting was retried within bounds already (Delivery.deliver): the batch is not tried again.
      log.error({ err: error }, "gave up posting a reply: the platform refused it");
      await parts.holdings.finish(convKey, items);
      return { retry: false };
    }
    const code = error instanceof AssistantError ? error.code : "UNKNOWN";
    // The assistant client has retried within its bounds already: the batch is not tried again.
    const level =
      code === "INVALID_API_KEY" || code === "BOT_NOT_FOUND" || code === "UNKNOWN" ? "error" : "warn";
    log[level]({ err: error, code }, "assistant call failed; apologising to the user");
    try {
      await parts.delivery.deliver(adapter, target, ctx.replies(target.conversation).apology(code));
    } catch (deliveryError) {
      log.error({ err: deliveryError }, "could not post the apology either");
    }
    await parts.holdings.finish(convKey, items);
    return { retry: false };
  }
}
