// POST /webhooks/mygpt: messages the assistant side sends on its own (a human agent answering from
// the dashboard, a follow-up) are posted into the chat conversation their session lives in. The route
// answers fast (verify, de-duplicate, enqueue, 202) and does the posting afterwards.
import express, { type Express } from "express";
import type Keyv from "keyv";
import type { Logger } from "pino";
import { z } from "zod";
import type { Relay } from "../relay/relay.js";
import type { BridgeStore } from "../store/create-store.js";
import { SIGNATURE_HEADER, verifySignature } from "./signature.js";

const eventSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  createdAt: z.string().optional(),
  data: z
    .object({
      conversationId: z.string().optional(),
      sessionId: z.string().optional(),
      messageId: z.string().optional(),
      role: z.enum(["assistant", "agent"]).optional(),
      content: z.string().optional(),
    })
    .passthrough(),
});
export type WebhookEvent = z.infer<typeof eventSchema>;

export interface WebhookReceiverOptions {
  secret: string;
  store: BridgeStore;
  relay: Relay;
  logger: Logger;
  handoffWindowMs: number;
  onOutcome?(outcome: string): void;
  now?: () => number;
}

const SEEN_TTL_MS = 24 * 3600_000;

export class WebhookReceiver {
  private readonly seen: Keyv<boolean>;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly now: () => number;

  constructor(private readonly options: WebhookReceiverOptions) {
    this.seen = options.store.namespace<boolean>("webhook-events");
    this.now = options.now ?? Date.now;
  }

  mountHttp(app: Express): void {
    app.post("/webhooks/mygpt", express.raw({ type: () => true, limit: "1mb" }), async (req, res) => {
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
        event = eventSchema.parse(JSON.parse(raw.toString("utf8")));
      } catch {
        this.outcome("malformed");
        res.status(400).json({ error: "body is not a webhook event" });
        return;
      }
      if (await this.seen.get(event.id)) {
        this.outcome("duplicate");
        res.status(200).json({ duplicate: true });
        return;
      }
      await this.seen.set(event.id, true, SEEN_TTL_MS);
      res.status(202).json({ accepted: true });
      const work = this.handle(event)
        .catch(async (error) => {
          this.options.logger.error(
            { err: error, eventId: event.id },
            "could not post a webhook event to chat",
          );
          await this.seen.delete(event.id);
        })
        .finally(() => this.inFlight.delete(work));
      this.inFlight.add(work);
    });
  }

  /** Waits for events accepted but not yet posted. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
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
