// Secret checks for the bridge's HTTP edges, in constant time: the comparison the operator token and
// the platforms' shared secrets use, and an Express guard that checks a secret header before a body is
// read.
import { createHash, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response } from "express";

/** Constant-time equality of two strings of any length. */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
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
