// Verifies X-MyGPT-Signature: "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">", within a
// five-minute window in either direction, compared in constant time. (Vendor scheme as we assume it.)
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-mygpt-signature";
const TOLERANCE_SECONDS = 300;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifySignature(
  header: string | undefined,
  rawBody: Buffer,
  secret: string,
  nowMs: number = Date.now(),
): SignatureCheck {
  if (!header) return { ok: false, reason: "missing signature header" };
  const parts = new Map(
    header.split(",").map((part) => {
      const [k, ...v] = part.trim().split("=");
      return [k ?? "", v.join("=")] as const;
    }),
  );
  const t = Number(parts.get("t"));
  const v1 = parts.get("v1") ?? "";
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/i.test(v1))
    return { ok: false, reason: "malformed signature header" };
  if (Math.abs(nowMs / 1000 - t) > TOLERANCE_SECONDS)
    return { ok: false, reason: "timestamp outside the 5-minute window" };
  const expected = createHmac("sha256", secret).update(`${t}.`).update(rawBody).digest();
  const given = Buffer.from(v1, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: "bad signature" };
  return { ok: true };
}

export function signPayload(rawBody: string, secret: string, timestampSeconds: number): string {
  const v1 = createHmac("sha256", secret).update(`${timestampSeconds}.${rawBody}`).digest("hex");
  return `t=${timestampSeconds},v1=${v1}`;
}
