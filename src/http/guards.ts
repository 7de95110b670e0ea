// Small express guards for the bridge's HTTP edges: a bearer token for the operator endpoints, and a
// shared-secret header checked before a body is read. Both compare in constant time.
import { createHash, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response } from "express";

/** Constant-time equality of two strings of any length. */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Lets a request through only with `Authorization: Bearer <token>`; no token configured: open. */
export function requireBearer(token: string | undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = /^Bearer (.+)$/i.exec(req.header("authorization") ?? "")?.[1];
    if (!token || sameSecret(given, token)) {
      next();
      return;
    }
    res.status(401).set("www-authenticate", "Bearer").json({ error: "unauthorized" });
  };
}

/** Refuses a request whose `header` is not `secret` before any body parser runs. */
export function requireSecretHeader(header: string, secret: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (sameSecret(req.header(header), secret)) {
      next();
      return;
    }
    res.status(401).json({ error: "unauthorized" });
  };
}
