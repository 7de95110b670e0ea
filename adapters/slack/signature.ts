// Verifies Slack's request signature on POST /slack/events before anything else sees the request:
// v0 HMAC-SHA256 of "v0:<timestamp>:<raw body>" with the signing secret, compared in constant time,
// and the timestamp within 5 minutes of now in EITHER direction (Bolt only refuses old ones). A
// refused request gets 401 and goes no further. The raw body is kept on req.rawBody, where Bolt's
// ExpressReceiver reads it instead of the stream.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import type { Logger } from "pino";

export const MAX_CLOCK_SKEW_SEC = 5 * 60;

export type SignatureVerdict = { ok: true } | { ok: false; reason: string };

export function checkSlackSignature(
  signingSecret: string,
  headers: { signature?: string; timestamp?: string },
  rawBody: Buffer,
  nowMs = Date.now(),
): SignatureVerdict {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp) return { ok: false, reason: "signature headers missing" };
  if (!/^\d+$/.test(timestamp)) return { ok: false, reason: "timestamp is not a number" };
  const skew = Math.abs(Math.floor(nowMs / 1000) - Number(timestamp));
  if (skew > MAX_CLOCK_SKEW_SEC) return { ok: false, reason: `timestamp is ${skew}s away from now` };
  const expected = Buffer.from(
    `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:`).update(rawBody).digest("hex")}`,
  );
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "signature mismatch" };
  }
  return { ok: true };
}

/** Express middleware for a route that was given the raw body (express.raw). */
export function verifySlackRequest(signingSecret: string, logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const verdict = checkSlackSignature(
      signingSecret,
      { signature: req.get("x-slack-signature"), timestamp: req.get("x-slack-request-timestamp") },
      raw,
    );
    if (!verdict.ok) {
      logger.warn({ reason: verdict.reason, ip: req.ip }, "refused a Slack request with a bad signature");
      res.status(401).send();
      return;
    }
    (req as Request & { rawBody?: Buffer }).rawBody = raw;
    next();
  };
}
