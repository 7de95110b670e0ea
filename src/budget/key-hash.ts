// How a budget is named in the store and in logs: a SHA-256 digest, never the API key itself.
import { createHash } from "node:crypto";

export function budgetId(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 32);
}
