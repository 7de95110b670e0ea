// The bridge's pino logger: JSON in production, pretty on a terminal, secrets redacted by path and value.
import pino, { type Logger } from "pino";

const REDACT_PATHS = [
  "apiKey",
  "token",
  "botToken",
  "appToken",
  "signingSecret",
  "clientSecret",
  "stateSecret",
  "webhookSecret",
  "secret",
  "authorization",
  "*.apiKey",
  "*.token",
  "*.botToken",
  "*.appToken",
  "*.signingSecret",
  "*.clientSecret",
  "*.webhookSecret",
  "*.secret",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
];

export interface LoggerOptions {
  level?: string;
  /** Secret values to scrub wherever they appear in a message (e.g. a token inside a URL). */
  secrets?: string[];
  /** More fields to redact, e.g. a platform's secret header (its module's logRedactPaths). */
  redactPaths?: readonly string[];
  pretty?: boolean;
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 6);
  const scrub = (value: string): string =>
    secrets.reduce((text, secret) => text.split(secret).join("[REDACTED]"), value);
  const pretty = options.pretty ?? (process.stdout.isTTY === true && !options.destination);
  const base: pino.LoggerOptions = {
    level: options.level ?? "info",
    redact: { paths: [...REDACT_PATHS, ...(options.redactPaths ?? [])], censor: "[REDACTED]" },
    hooks: {
      logMethod(args, method) {
        const cleaned = args.map((arg) => (typeof arg === "string" ? scrub(arg) : scrubDeep(arg, scrub)));
        method.apply(this, cleaned as Parameters<typeof method>);
      },
    },
  };
  if (pretty) {
    return pino({ ...base, transport: { target: "pino-pretty", options: { colorize: true } } });
  }
  return options.destination ? pino(base, options.destination) : pino(base);
}

/**
 * A copy of `value` with every string scrubbed, however deep it sits: objects, arrays, errors (with
 * their cause and own fields) and cycles (kept as cycles, which pino prints as "[Circular]").
 */
function scrubDeep(
  value: unknown,
  scrub: (s: string) => string,
  seen = new WeakMap<object, unknown>(),
): unknown {
  if (typeof value === "string") return scrub(value);
  if (value === null || typeof value !== "object") return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (value instanceof Error) {
    const copy = new Error(scrub(value.message));
    seen.set(value, copy);
    copy.name = value.name;
    copy.stack = value.stack === undefined ? undefined : scrub(value.stack);
    for (const [k, v] of Object.entries(value))
      (copy as unknown as Record<string, unknown>)[k] = scrubDeep(v, scrub, seen);
    if (value.cause !== undefined) copy.cause = scrubDeep(value.cause, scrub, seen);
    return copy;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(scrubDeep(item, scrub, seen));
    return out;
  }
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, scrub, seen);
  return out;
}

/** A logger that writes nothing: for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
