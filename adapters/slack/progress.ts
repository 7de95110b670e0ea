// Shows the user that the assistant is working. In a DM assistant thread it sets the thread's
// status (assistant.threads.setStatus), renewed while work goes on. Everywhere else, and whenever
// setStatus is refused, it posts a short placeholder ("_Thinking…_") that the first reply chunk to
// the same place replaces via chat.update. A placeholder no reply claims is deleted after a grace
// period, so none is left behind when a turn ends without a reply. Both texts are configurable per
// route (`thinking`, `thinkingStatus` in src/relay/replies.ts).
import type { Logger } from "pino";
import type { ReplyTarget, TypingHandle } from "../../src/adapter.js";
import { renewingIndicator } from "../../src/kit/index.js";
import { DEFAULT_TEXTS } from "../../src/relay/replies.js";
import { neutraliseMentions } from "./render.js";

export const PLACEHOLDER_TEXT = DEFAULT_TEXTS.thinking;
export const STATUS_TEXT = DEFAULT_TEXTS.thinkingStatus;

/** What the indicator shows: the placeholder message (mrkdwn) and the assistant thread status. */
export interface ProgressTexts {
  placeholder: string;
  status: string;
}

const DEFAULT_PROGRESS_TEXTS: ProgressTexts = { placeholder: PLACEHOLDER_TEXT, status: STATUS_TEXT };

export interface SlackCaller {
  /** Calls a Web API method as the bot of the target's workspace; rejects on ok:false. */
  call(target: ReplyTarget, method: string, args: Record<string, unknown>): Promise<Record<string, unknown>>;
}

export interface ProgressOptions {
  /** How often the assistant status is set again while work goes on (Slack clears it after ~2 min). */
  statusRenewMs?: number;
  /** How long an unclaimed placeholder may stay after stop() before it is deleted. */
  placeholderGraceMs?: number;
}

interface Placeholder {
  target: ReplyTarget;
  channel: string;
  ts: Promise<string | undefined>;
  cleanup?: NodeJS.Timeout;
}

export class ProgressIndicators {
  private readonly placeholders = new Map<string, Placeholder>();
  private readonly statusRenewMs: number;
  private readonly graceMs: number;

  constructor(
    private readonly slack: SlackCaller,
    private readonly logger: Logger,
    options: ProgressOptions = {},
  ) {
    this.statusRenewMs = options.statusRenewMs ?? 60_000;
    this.graceMs = options.placeholderGraceMs ?? 60_000;
  }

  start(target: ReplyTarget, texts: ProgressTexts = DEFAULT_PROGRESS_TEXTS): TypingHandle {
    const { channelId, threadId } = target.conversation;
    let stopped = false;
    let renewal: TypingHandle | undefined;
    let mode: "status" | "placeholder" =
      target.extra?.channelType === "im" && threadId ? "status" : "placeholder";

    const setStatus = async (status: string): Promise<boolean> => {
      try {
        await this.slack.call(target, "assistant.threads.setStatus", {
          channel_id: channelId,
          thread_ts: threadId,
          status,
        });
        return true;
      } catch (error) {
        this.logger.debug({ err: error }, "assistant.threads.setStatus refused; using a placeholder message");
        return false;
      }
    };

    if (mode === "status") {
      void setStatus(texts.status).then((ok) => {
        if (stopped) return;
        if (!ok) {
          mode = "placeholder";
          this.postPlaceholder(target, texts.placeholder);
          return;
        }
        renewal = renewingIndicator(() => setStatus(texts.status), {
          everyMs: this.statusRenewMs,
          firstAfterMs: this.statusRenewMs,
        });
      });
    } else {
      this.postPlaceholder(target, texts.placeholder);
    }

    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        renewal?.stop();
        if (mode === "status") void setStatus("");
        else this.scheduleCleanup(target);
      },
    };
  }

  /** The placeholder waiting at this target, handed over (once) to the reply that replaces it. */
  async claim(target: ReplyTarget): Promise<{ channel: string; ts: string } | undefined> {
    const key = keyOf(target);
    const placeholder = this.placeholders.get(key);
    if (!placeholder) return undefined;
    this.placeholders.delete(key);
    if (placeholder.cleanup) clearTimeout(placeholder.cleanup);
    const ts = await placeholder.ts;
    return ts ? { channel: placeholder.channel, ts } : undefined;
  }

  /** Deletes every unclaimed placeholder now (on shutdown). */
  async flush(): Promise<void> {
    const pending = [...this.placeholders.entries()];
    this.placeholders.clear();
    await Promise.all(pending.map(([, p]) => this.remove(p)));
  }

  private postPlaceholder(target: ReplyTarget, text: string): void {
    const key = keyOf(target);
    if (this.placeholders.has(key)) return;
    const { channelId, threadId } = target.conversation;
    const ts = this.slack
      .call(target, "chat.postMessage", {
        channel: channelId,
        text: neutraliseMentions(text),
        ...(threadId && { thread_ts: threadId }),
      })
      .then((reply) => (typeof reply.ts === "string" ? reply.ts : undefined))
      .catch((error: unknown) => {
        this.logger.warn({ err: error }, "could not post the Slack progress placeholder");
        return undefined;
      });
    this.placeholders.set(key, { target, channel: channelId, ts });
  }

  private scheduleCleanup(target: ReplyTarget): void {
    const key = keyOf(target);
    const placeholder = this.placeholders.get(key);
    if (!placeholder || placeholder.cleanup) return;
    placeholder.cleanup = setTimeout(() => {
      if (this.placeholders.get(key) !== placeholder) return;
      this.placeholders.delete(key);
      void this.remove(placeholder);
    }, this.graceMs);
    placeholder.cleanup.unref();
  }

  private async remove(placeholder: Placeholder): Promise<void> {
    if (placeholder.cleanup) clearTimeout(placeholder.cleanup);
    const ts = await placeholder.ts;
    if (!ts) return;
    await this.slack
      .call(placeholder.target, "chat.delete", { channel: placeholder.channel, ts })
      .catch((error: unknown) => {
        this.logger.debug({ err: error }, "could not delete an unused Slack placeholder");
      });
  }
}

function keyOf(target: ReplyTarget): string {
  const { workspaceId, channelId, threadId } = target.conversation;
  return `${workspaceId}\u0000${channelId}\u0000${threadId ?? ""}`;
}
