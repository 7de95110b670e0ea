// Parses a call budget written as "100/60s" (also "m" and "h") into a limit and a window.
import type { RateSpec } from "../budget/types.js";

const RATE = /^\s*(\d+)\s*\/\s*(\d+)\s*(ms|s|m|h)\s*$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

export function parseRate(text: string): RateSpec | undefined {
  const match = RATE.exec(text);
  if (!match) return undefined;
  const limit = Number(match[1]);
  const windowMs = Number(match[2]) * UNIT_MS[match[3] as keyof typeof UNIT_MS];
  if (limit < 1 || windowMs < 1) return undefined;
  return { limit, windowMs };
}
