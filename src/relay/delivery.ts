// Posting to users: a reply chunk with bounded retries of transport failures, text that did not
// come from a relayed turn (split to the platform's size), and courtesy notices that are logged,
// never thrown, when they fail, including the one-per-wait "this will take a while" notice.
import type { InboundMessage, Platform, PlatformAdapter, ReplyTarget } from "../adapter.js";
import { DEFAULTS } from "../defaults.js";
import { DeliveryError } from "../errors.js";
import { retry } from "../kit/retry.js";
import type { RelayContext } from "./context.js";
import { LeftForRestart } from "./lifecycle.js";
import { splitMessage } from "./split.js";

export class Delivery {
  private readonly adapters = new Map<Platform, PlatformAdapter>();
  /** Notices on their way (the relay is not idle until they are posted or given up). */
  private notices = 0;

  constructor(
    private readonly ctx: RelayContext,
    adapters: PlatformAdapter[],
  ) {
    for (const adapter of adapters) this.adapters.set(adapter.platform, adapter);
  }

  get busy(): boolean {
    return this.notices > 0;
  }

  handles(platform: Platform): boolean {
    return this.adapters.has(platform);
  }

  adapterFor(platform: Platform): PlatformAdapter {
    const adapter = this.adapters.get(platform);
    if (!adapter) throw new Error(`no adapter for platform ${platform}`);
    return adapter;
  }

  /**
   * Posts one chunk, retrying what the platform may accept later (transport failures, 5xx, 429 with
   * its Retry-After) with backoff, within bounds: the relay's only retry layer for posting. A stop
   * cuts the waits short and leaves the message in the store for the next start.
   */
  async deliver(adapter: PlatformAdapter, target: ReplyTarget, text: string): Promise<void> {
    const { options, life } = this.ctx;
    const maxAttempts = options.deliveryMaxAttempts ?? DEFAULTS.deliveryMaxAttempts;
    const base = options.deliveryBackoffBaseMs ?? DEFAULTS.deliveryBackoffBaseMs;
    try {
      await retry(() => adapter.send(target, text), {
        delayMs: (error, attempt) =>
          error instanceof DeliveryError && error.retryable && attempt < maxAttempts && !life.stopping
            ? (error.options.retryAfterMs ?? base * 2 ** (attempt - 1))
            : undefined,
        signal: life.signal,
      });
    } catch (error) {
      if (life.stopping && error instanceof DeliveryError && error.retryable) throw new LeftForRestart();
      throw error instanceof DeliveryError
        ? error
        : new DeliveryError("posting the reply failed", false, { cause: error });
    }
    this.ctx.observer.messageOut?.(adapter.platform);
  }

  /** Posts text that did not come from a relayed turn (a dashboard agent, a follow-up). */
  async postToConversation(target: ReplyTarget, text: string): Promise<void> {
    const adapter = this.adapterFor(target.conversation.platform);
    for (const chunk of splitMessage(text, adapter.maxMessageLength))
      await this.deliver(adapter, target, chunk);
  }

  /** Sends a short notice; failure is logged, never thrown (the notice is a courtesy). */
  sendQuietly(target: ReplyTarget, text: string): void {
    const adapter = this.adapters.get(target.conversation.platform);
    if (!adapter) return;
    this.notices++;
    this.deliver(adapter, target, text)
      .catch((error) => this.ctx.options.logger.warn({ err: error }, "could not post a notice to the user"))
      .finally(() => {
        this.notices--;
        this.ctx.checkIdle();
      });
  }
}

/** The "your answer will take a while" notice, given once per conversation while its line waits. */
export class WaitNotices {
  private readonly given = new Set<string>();

  constructor(
    private readonly ctx: RelayContext,
    private readonly delivery: Delivery,
  ) {}

  maybeNotice(convKey: string, message: InboundMessage, position: number): void {
    if (this.given.has(convKey) || position <= 1) return;
    const { options } = this.ctx;
    const waitMs = options.budgetFor(options.route(message.conversation).apiKey).estimateWaitMs(position - 1);
    if (waitMs < (options.longWaitNoticeMs ?? DEFAULTS.longWaitNoticeMs)) return;
    this.given.add(convKey);
    this.delivery.sendQuietly(
      message.replyTarget,
      this.ctx.replies(message.conversation).longWait(position, waitMs),
    );
  }

  /** The conversation's line is empty: a later wait may be noticed again. */
  forget(convKey: string): void {
    this.given.delete(convKey);
  }
}
