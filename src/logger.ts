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
  'headers["x-telegram-bot-api-secret-token"]',
];

export interface LoggerOptions {
  level?: string;
  /** Secret values to scrub wherever they appear in a message (e.g. a token inside a URL). */
  secrets?: string[];
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
    redact: { paths: REDACT_PATHS, censor: "[REDACTED]" },
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

function scrubDeep(value: unknown, scrub: (s: string) => string, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== "object") {
    return typeof value === "string" ? scrub(value) : value;
  }
  if (value instanceof Error) {
    const copy = new Error(scrub(value.message));
    copy.name = value.name;
    if (value.stack) copy.stack = scrub(value.stack);
    Object.assign(copy, { code: (value as { code?: unknown }).code });
    return copy;
  }
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, scrub, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, scrub, depth + 1);
  return out;
}

/** A logger that writes nothing: for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
