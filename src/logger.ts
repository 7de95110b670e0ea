// The bridge's pino logger: JSON in production, pretty on a terminal, every argument passed through
// the kit's redaction (secret values, token shapes and secret-named fields, at any depth).
import pino, { type Logger } from "pino";
import { Redactor } from "./kit/redact.js";

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
  const redactor = new Redactor(options.secrets ?? [], { minLength: 6 });
  const pretty = options.pretty ?? (process.stdout.isTTY === true && !options.destination);
  const base: pino.LoggerOptions = {
    level: options.level ?? "info",
    ...(options.redactPaths?.length
      ? { redact: { paths: [...options.redactPaths], censor: "[REDACTED]" } }
      : {}),
    hooks: {
      logMethod(args, method) {
        const cleaned = args.map((arg) => redactor.value(arg));
        method.apply(this, cleaned as Parameters<typeof method>);
      },
    },
  };
  if (pretty) {
    return pino({ ...base, transport: { target: "pino-pretty", options: { colorize: true } } });
  }
  return options.destination ? pino(base, options.destination) : pino(base);
}

/** A logger that writes nothing: for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
