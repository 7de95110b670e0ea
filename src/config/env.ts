// The zod building blocks environment variables are read with, shared by the core settings and the
// platform modules' own (adapters/<platform>/config.ts).
import { z } from "zod";

/** A variable that may be unset or blank (both mean "not set"). */
export const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

/** An http(s) URL; `what` says which one in the error. */
export const url = (what: string) =>
  z
    .string()
    .trim()
    .refine((v) => /^https?:\/\//.test(v), { message: `must be an http(s) URL (${what})` });

export const intInRange = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `must be between ${min} and ${max}` });
