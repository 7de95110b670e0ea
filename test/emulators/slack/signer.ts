// Slack's side of the Events API over HTTP: signs a request body the way Slack does (v0 HMAC-SHA256
// over "v0:<timestamp>:<raw body>") and POSTs it, optionally with a broken signature, a timestamp
// off by some seconds, or the retry headers Slack adds when it redelivers.
import { createHmac } from "node:crypto";

export function slackSignature(secret: string, timestampSec: number, rawBody: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestampSec}:${rawBody}`).digest("hex")}`;
}

export interface SignedPostOptions {
  /** "valid" (default), "bad" (signed with another secret) or "missing" (no signature headers). */
  signature?: "valid" | "bad" | "missing";
  /** Seconds added to the current time for x-slack-request-timestamp (negative = stale). */
  timestampOffsetSec?: number;
  retryNum?: number;
  retryReason?: string;
}

export interface SignedPostResult {
  status: number;
  body: string;
  contentType: string | null;
}

export async function postSigned(
  url: string,
  secret: string,
  rawBody: string,
  contentType: "application/json" | "application/x-www-form-urlencoded",
  options: SignedPostOptions = {},
): Promise<SignedPostResult> {
  const ts = Math.floor(Date.now() / 1000) + (options.timestampOffsetSec ?? 0);
  const headers: Record<string, string> = { "content-type": contentType };
  const mode = options.signature ?? "valid";
  if (mode !== "missing") {
    headers["x-slack-request-timestamp"] = String(ts);
    headers["x-slack-signature"] = slackSignature(mode === "valid" ? secret : `${secret}-wrong`, ts, rawBody);
  }
  if (options.retryNum !== undefined) {
    headers["x-slack-retry-num"] = String(options.retryNum);
    headers["x-slack-retry-reason"] = options.retryReason ?? "http_timeout";
  }
  const response = await fetch(url, { method: "POST", headers, body: rawBody });
  return {
    status: response.status,
    body: await response.text(),
    contentType: response.headers.get("content-type"),
  };
}
