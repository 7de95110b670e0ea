// POST /webhooks/mygpt: messages the assistant side sends on its own (a human agent answering from
// the dashboard, a follow-up) are posted into the chat conversation their session lives in. The route
// verifies the event, claims its id and stores it in one transaction, and only then answers 202: the
// vendor does not redeliver after a 2xx, so an event is never acknowledged before it is durable.
// A worker posts stored events from the queue, so a restart (or another process) still posts them.
import type { Express } from "express";
import type { Logger } from "pino";
import * as v from "valibot";
import { StoreError } from "../errors.js";
import { loadExpress } from "../http/express.js";
import { retry } from "../kit/retry.js";
import { LeftForRestart } from "../relay/lifecycle.js";
import type { Relay } from "../relay/relay.js";
import type { StoreHealth } from "../store/health.js";
import { IdleWait } from "../store/idle-wait.js";
import type { ProcessLease } from "../store/process-lease.js";
import type { QueueItem, Store } from "../store/types.js";
import { SIGNATURE_HEADER, verifySignature } from "./signature.js";

const eventSchema = v.object({
  id: v.pipe(v.string(), v.minLength(1)),
  type: v.pipe(v.string(), v.minLength(1)),
  createdAt: v.optional(v.string()),
  data: v.looseObject({
    conversationId: v.optional(v.string()),
    sessionId: v.optional(v.string()),
    messageId: v.optional(v.string()),
    role: v.optional(v.picklist(["assistant", "agent"])),
    content: v.optional(v.string()),
  }),
});
export type WebhookEvent = v.InferOutput<typeof eventSchema>;

export interface WebhookReceiverOptions {
  secret: string;
  store: Store;
  lease: ProcessLease;
  health: StoreHealth;
  relay: Relay;
  logger: Logger;
  handoffWindowMs: number;
  onOutcome?(outcome: string): void;
  now?: () => number;
  /** Tries of an event whose session could not be looked up (the store failing) before it is given up. */
  maxAttempts?: number;
}

const QUEUE = "webhook-events";
const SEEN_TTL_MS = 24 * 3600_000;

export class WebhookReceiver {
  private readonly now: () => number;
  private running = false;
  private working?: Promise<void>;
  /** Woken when an event is stored or the receiver stops. */
  private readonly idle = new IdleWait();
  /** Aborted on stop, cutting retry waits short. */
  private stopping = new AbortController();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: WebhookReceiverOptions) {
    this.now = options.now ?? Date.now;
  }

  mountHttp(app: Express): void {
    app.post("/webhooks/mygpt", loadExpress().raw({ type: () => true, limit: "1mb" }), async (req, res) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const check = verifySignature(req.header(SIGNATURE_HEADER), raw, this.options.secret, this.now());
      if (!check.ok) {
        this.options.logger.warn({ reason: check.reason }, "refused a webhook event");
        this.outcome("unauthorized");
        res.status(401).json({ error: check.reason });
        return;
      }
      let event: WebhookEvent;
      try {
        event = v.parse(eventSchema, JSON.parse(raw.toString("utf8")));
      } catch {
        this.outcome("malformed");
        res.status(400).json({ error: "body is not a webhook event" });
        return;
      }
      let stored: boolean;
      try {
        const result = await this.options.health.watch(
          this.options.store.batch([
            { op: "claim", key: `webhook-seen:${event.id}`, ttlMs: SEEN_TTL_MS },
            { op: "append", queue: QUEUE, group: event.id, payload: event },
          ]),
        );
        stored = result.applied;
      } catch (error) {
        this.options.logger.warn(
          { err: error, eventId: event.id },
          "could not store a webhook event: asked for redelivery",
        );
        this.outcome("store-unavailable");
        res.status(503).json({ error: "temporarily unable to take events" });
        return;
      }
      if (!stored) {
        this.outcome("duplicate");
        res.status(200).json({ duplicate: true });
        return;
      }
      res.status(202).json({ accepted: true });
      this.idle.wake();
    });
  }

  /** Starts posting stored events (those left by a stopped process too). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = new AbortController();
    this.working = this.work();
  }

  /** Resolves once every event stored so far (that this process can take) is posted or given up. */
  drain(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.idle.wake();
    });
  }

  /** Stops posting; what is not posted yet stays stored for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    this.idle.wake();
    await this.working;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async work(): Promise<void> {
    const pollMs = this.options.lease.leaseMs / 3;
    while (this.running) {
      let items: QueueItem<WebhookEvent>[] = [];
      try {
        items = await this.options.health.watch(
          this.options.store.claim<WebhookEvent>(QUEUE, this.options.lease.owner, { limit: 20 }),
        );
      } catch (error) {
        if (!(error instanceof StoreError)) throw error;
      }
      for (const item of items) await this.post(item);
      if (items.length > 0) continue;
      for (const resolve of this.idleWaiters.splice(0)) resolve();
      await this.idle.wait(pollMs);
    }
  }

  private async post(item: QueueItem<WebhookEvent>): Promise<void> {
    const event = item.payload;
    const maxAttempts = this.options.maxAttempts ?? 5;
    try {
      // Posting to chat retries by itself (the relay's Delivery); only a store failure (the session
      // look-up) is worth trying the event again for.
      await retry(() => this.handle(event), {
        delayMs: (error, attempt) =>
          error instanceof StoreError && this.running && attempt < maxAttempts
            ? 500 * 2 ** attempt
            : undefined,
        signal: this.stopping.signal,
      });
    } catch (error) {
      // Stopping (the relay too): the event stays stored for the next start.
      if (!this.running || error instanceof LeftForRestart) return;
      this.options.logger.error({ err: error, eventId: event.id }, "could not post a webhook event to chat");
    }
    // Posted or given up: the event must leave the queue, or the next start posts it again.
    await retry(
      () => this.options.health.watch(this.options.store.batch([{ op: "ack", queue: QUEUE, id: item.id }])),
      {
        delayMs: (_error, attempt) =>
          this.running && attempt < 30 ? Math.min(200 * attempt, 2000) : undefined,
        signal: this.stopping.signal,
      },
    ).catch((error: unknown) =>
      this.options.logger.warn(
        { err: error, eventId: event.id },
        "posted a webhook event but could not mark it done",
      ),
    );
  }

  private async handle(event: WebhookEvent): Promise<void> {
    const log = this.options.logger.child({ eventId: event.id, type: event.type });
    if (event.type !== "message.created" || !event.data.content) {
      this.outcome("ignored");
      log.debug("webhook event of no interest");
      return;
    }
    const found = await this.options.relay.sessions.lookup(event.data);
    if (!found) {
      this.outcome("unknown-session");
      log.info(
        { sessionId: event.data.sessionId, conversationId: event.data.conversationId },
        "webhook for a session this bridge does not know",
      );
      return;
    }
    const { conversationKey, session } = found;
    if (
      event.data.role === "assistant" &&
      event.data.messageId &&
      session.ownMessageIds?.includes(event.data.messageId)
    ) {
      this.outcome("own-message");
      return;
    }
    if (event.data.role === "agent") {
      await this.options.relay.markHandoff(conversationKey, this.now() + this.options.handoffWindowMs);
    }
    await this.options.relay.postToConversation(session.target, event.data.content);
    this.outcome("posted");
    log.info({ role: event.data.role }, "posted a message from the assistant side into chat");
  }

  private outcome(outcome: string): void {
    this.options.onOutcome?.(outcome);
  }
}
