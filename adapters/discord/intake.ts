// Hands Discord messages to the relay without losing one to a passing store failure. Discord's
// gateway has no acknowledgement and never sends a message again, so a message the relay could not
// take (accept() threw) is kept in memory and offered again with a growing pause, for a bounded
// time; later messages of the same conversation wait behind it so their order holds. While anything
// waits, the adapter reports not ready. stop() gives each waiting message one last immediate try.
// What is still waiting when the process dies is lost: see SETUP.md, "Operations".
import type { Logger } from "pino";
import type { InboundMessage, InboundSink } from "../../src/adapter.js";
import { retry } from "../../src/kit/index.js";

export interface AcceptRetryOptions {
  /** First pause after a refusal; doubles each time, up to 8 s. */
  baseMs: number;
  /** How long after its arrival a message is given up (and logged as lost) if still not taken. */
  maxMs: number;
}

export const DEFAULT_ACCEPT_RETRY: AcceptRetryOptions = { baseMs: 250, maxMs: 30_000 };
const MAX_PAUSE_MS = 8_000;

export class RetryingIntake {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private waiting = 0;
  private stopping = new AbortController();

  constructor(
    private readonly sink: InboundSink,
    private readonly logger: Logger,
    private readonly options: AcceptRetryOptions = DEFAULT_ACCEPT_RETRY,
  ) {}

  /** Queues a message behind its conversation's earlier ones; returns at once. */
  take(message: InboundMessage): void {
    const key = conversationKey(message);
    const arrived = Date.now();
    const previous = this.chains.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.deliver(message, arrived));
    this.chains.set(key, run);
    this.inFlight.add(run);
    void run.finally(() => {
      this.inFlight.delete(run);
      if (this.chains.get(key) === run) this.chains.delete(key);
    });
  }

  /** Some message was refused and waits for another try. */
  hasWaiting(): boolean {
    return this.waiting > 0;
  }

  /** Cuts every pause short (one last try each) and waits until all messages are settled. */
  async stop(): Promise<void> {
    this.stopping.abort();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    this.stopping = new AbortController();
  }

  /** Tries at least once; then again until `maxMs` after arrival (a long outage does not pile up). */
  private async deliver(message: InboundMessage, arrived: number): Promise<void> {
    await retry(
      async (attempt) => {
        if (attempt > 1) this.waiting--;
        await this.sink.accept(message);
      },
      {
        signal: this.stopping.signal,
        delayMs: (error, attempt) => {
          const context = { err: error, attempt, messageId: message.messageId };
          const elapsed = Date.now() - arrived;
          if (this.stopping.signal.aborted || elapsed >= this.options.maxMs) {
            this.logger.error(
              context,
              "gave up on a Discord message the relay could not take; Discord does not send it again, so it is lost",
            );
            return undefined;
          }
          this.logger.warn(context, "the relay could not take a Discord message; trying again");
          this.waiting++;
          return Math.min(
            this.options.baseMs * 2 ** Math.min(attempt - 1, 20),
            MAX_PAUSE_MS,
            this.options.maxMs - elapsed,
          );
        },
      },
    ).catch(() => undefined);
  }
}

function conversationKey(message: InboundMessage): string {
  const { workspaceId, channelId, threadId } = message.conversation;
  return `${workspaceId}/${channelId}/${threadId ?? ""}`;
}
