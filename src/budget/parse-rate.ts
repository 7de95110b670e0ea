// Reads a call budget written as "100/60s" (also "m" and "h") from a named setting, and says
// exactly which setting is wrong and how to fix it when it cannot.
import { ConfigError } from "../errors.js";
import type { RateSpec } from "./types.js";

const RATE = /^\s*(\d+)\s*\/\s*(\d+)\s*(s|m|h)\s*$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

export function parseRate(text: string, variable: string): RateSpec {
  const match = RATE.exec(text);
  const limit = Number(match?.[1]);
  const windowMs = Number(match?.[2]) * UNIT_MS[(match?.[3] ?? "s") as keyof typeof UNIT_MS];
  if (match && limit >= 1 && windowMs >= 1) return { limit, windowMs };
  const fix = 'write CALLS/WINDOW with s, m or h, e.g. "100/60s" or "1000/1h" (both numbers at least 1)';
  throw new ConfigError(`${variable} "${text}" is not a rate: ${fix}`, [
    { variable, problem: `"${text}" is not a rate`, fix },
  ]);
}
