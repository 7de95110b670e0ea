// Webhook events the emulated vendor pushes to the bridge (an assumed shape, see ASSISTANT-API.md):
// a message.created event, signed as `X-MyGPT-Signature: t=<unix s>,v1=<hex HMAC-SHA256("<t>.<body>")>`.
import { createHmac } from "node:crypto";

export interface WebhookEvent {
  id: string;
  type: "message.created";
  createdAt: string;
  data: {
    conversationId: string;
    sessionId: string;
    messageId: string;
    role: "assistant" | "agent";
    content: string;
  };
}

export interface WebhookSendOptions {
  /** Sign with this secret instead of the emulator's (to send a bad signature). */
  secret?: string;
  /** Unix seconds to sign with (to send a stale event). */
  timestamp?: number;
  /** Send this header value verbatim instead of a computed signature. */
  signature?: string;
  /** Content-Type to send; null sends none (some senders omit it). */
  contentType?: string | null;
}

export function signatureHeader(secret: string, timestamp: number, rawBody: string): string {
  const digest = createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest("hex");
  return `t=${timestamp},v1=${digest}`;
}

export async function postWebhook(
  url: string,
  event: WebhookEvent,
  secret: string,
  nowMs: number,
  opts: WebhookSendOptions = {},
): Promise<{ status: number; body: string }> {
  const rawBody = JSON.stringify(event);
  const timestamp = opts.timestamp ?? Math.floor(nowMs / 1000);
  const signature = opts.signature ?? signatureHeader(opts.secret ?? secret, timestamp, rawBody);
  const contentType = opts.contentType === undefined ? "application/json" : opts.contentType;
  const response = await fetch(url, {
    method: "POST",
    headers: { ...(contentType && { "content-type": contentType }), "x-mygpt-signature": signature },
    // Bytes rather than a string, so fetch adds no Content-Type of its own.
    body: new TextEncoder().encode(rawBody),
  });
  return { status: response.status, body: await response.text() };
}
