// Intake: what happens to a message an adapter hands the relay, up to its place in line. Access
// policy, bots and empty messages, addressing, notice-only answers (files, too long, over quota),
// backlog limits, the durable store queue with its dedup claim, and the platform's commands
// (/start, /help, /reset), which are answered in line like any message.
import type { AcceptOutcome, AuthorRef, CommandName, ConversationRef, InboundMessage } from "../adapter.js";
import { DEFAULTS } from "../defaults.js";
import type { Holdings } from "./adoption.js";
import { parseCommand } from "./commands.js";
import type { RelayContext } from "./context.js";
import { conversationKey } from "./conversation-key.js";
import type { Delivery, WaitNotices } from "./delivery.js";
import { asHelpRequest, classifyIntake } from "./intake-checks.js";
import type { Added } from "./message-queue.js";
import { isAllowed } from "./policy.js";
import { UserQuota } from "./user-quota.js";

export class Intake {
  /** Messages being accepted now (the relay is not idle while one is). */
  private accepts = 0;
  private readonly quota?: UserQuota;

  constructor(
    private readonly ctx: RelayContext,
    private readonly holdings: Holdings,
    private readonly delivery: Delivery,
    private readonly notices: WaitNotices,
  ) {
    const { userQuota } = ctx.options;
    if (userQuota) this.quota = new UserQuota({ ...userQuota, now: ctx.now });
  }

  get busy(): boolean {
    return this.accepts > 0;
  }

  async accept(received: InboundMessage): Promise<AcceptOutcome> {
    const { ctx, holdings } = this;
    const { options, observer } = ctx;
    let message = received;
    const platform = message.conversation.platform;
    observer.messageIn?.(platform);
    const ignore = (reason: string): AcceptOutcome => {
      observer.messageIgnored?.(platform, reason);
      return { status: "ignored", reason };
    };
    if (!ctx.life.accepting) return ignore("not accepting (starting or shutting down)");
    if (message.author.isBot) return ignore("from a bot");
    if (options.policy && !isAllowed(options.policy, message)) return ignore("denied by policy");
    const intake = classifyIntake(message);
    if (intake.kind === "empty") return ignore("empty message");
    if (intake.kind === "bare-mention") message = asHelpRequest(message);

    this.accepts++;
    try {
      const convKey = conversationKey(message.conversation);
      if (
        !message.isDirect &&
        !message.addressesBot &&
        !(await ctx.health.watch(ctx.sessions.get(convKey)))
      ) {
        return ignore("not addressed to the bot");
      }
      const replies = ctx.replies(message.conversation);
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
        const { messages, windowMs } = options.userQuota!;
        const fresh = await this.noticeOnly(
          message,
          quota === "over-tell" ? replies.quotaReached(messages, windowMs) : undefined,
        );
        return fresh ? ignore("over the user's quota") : { status: "duplicate" };
      }
      if (
        ctx.scheduler.size >= (options.maxBacklog ?? DEFAULTS.maxBacklog) ||
        ctx.scheduler.queuedFor(convKey) >=
          (options.maxConversationBacklog ?? DEFAULTS.maxConversationBacklog)
      ) {
        options.logger.warn({ conversation: convKey }, "backlog full: asked the user to retry");
        this.delivery.sendQuietly(message.replyTarget, replies.backlogFull);
        return { status: "rejected", reason: "backlog-full" };
      }
      let added: Added | undefined;
      try {
        added = await ctx.health.watch(ctx.pending.add(message, ctx.now()));
      } catch (error) {
        holdings.unsureOfOwn = true;
        throw error;
      }
      if (!added) {
        // The redelivery of a message whose storing seemed to fail: it may be stored and held by no one.
        if (holdings.unsureOfOwn) void holdings.adoptOrphans();
        return { status: "duplicate" };
      }
      if (intake.kind === "text" && intake.filesNote)
        this.delivery.sendQuietly(message.replyTarget, replies.filesNote);
      observer.accepted?.(message, this.delivery.adapterFor(platform));
      // Another replica is answering this conversation: it takes the message after what it has.
      if (!added.mine) return { status: "queued", position: 1 };
      // Older messages other replicas handed this one, not known here yet, go first.
      if (added.earlier.some((id) => !holdings.knows(id)))
        holdings.scheduleHanded(await holdings.durablyTake(convKey));
      holdings.schedule(added.record);
      const position = ctx.scheduler.positionOf(convKey);
      this.notices.maybeNotice(convKey, message, position);
      ctx.wake();
      return { status: "queued", position };
    } finally {
      this.accepts--;
      ctx.checkIdle();
    }
  }

  /** An adapter's own command (a slash command): help, or a fresh session. */
  async command(name: CommandName, conversation: ConversationRef, _author: AuthorRef): Promise<string> {
    const { ctx } = this;
    if (name === "help") return ctx.replies(conversation).help;
    const convKey = conversationKey(conversation);
    const current = await ctx.sessions.get(convKey);
    const target = current?.target ?? { conversation };
    const botId = current?.botId ?? ctx.options.route(conversation).botId;
    await ctx.sessions.start(convKey, botId, target);
    return ctx.replies(conversation).reset;
  }

  /** Answers a command that came as a message, when its turn in line comes. */
  async answerCommand(
    command: ReturnType<typeof parseCommand>,
    message: InboundMessage,
    convKey: string,
  ): Promise<void> {
    const { ctx } = this;
    const replies = ctx.replies(message.conversation);
    let text: string = replies.help;
    if (command === "start") text = replies.greeting;
    if (command === "reset") {
      await ctx.sessions.start(convKey, ctx.options.route(message.conversation).botId, message.replyTarget);
      text = replies.reset;
    }
    try {
      await this.delivery.deliver(
        this.delivery.adapterFor(message.conversation.platform),
        message.replyTarget,
        text,
      );
    } catch (error) {
      ctx.options.logger.warn({ err: error }, "could not answer a command");
    }
  }

  /**
   * Answers a message with a notice alone (or nothing), never the assistant; its id is claimed so a
   * redelivery is not answered again. False when it was seen before.
   */
  private async noticeOnly(message: InboundMessage, notice: string | undefined): Promise<boolean> {
    if (!(await this.ctx.health.watch(this.ctx.pending.markSeen(message)))) return false;
    if (notice) this.delivery.sendQuietly(message.replyTarget, notice);
    return true;
  }

  /** Counts a message (commands excepted) against its author's quota, when one is configured. */
  private takeQuota(message: InboundMessage): "ok" | "over-tell" | "over-quiet" {
    if (!this.quota || parseCommand(message.text)) return "ok";
    const { platform, workspaceId } = message.conversation;
    return this.quota.take(`${platform}:${workspaceId}:${message.author.id}`);
  }
}
