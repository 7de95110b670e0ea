// A pino logger whose JSON lines a test can read back, for asserting what the bridge logged.
import type { Logger } from "pino";
import { createLogger } from "../../src/logger.js";

export interface CapturedLogs {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
  /** Every line as written, for "never appears anywhere" checks. */
  raw: string[];
  /** Resolves once a line with this message is logged (at once if one was). */
  whenLogged(message: string): Promise<void>;
}

export function captureLogs(level = "info", secrets: string[] = []): CapturedLogs {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const waiters: Array<{ message: string; resolve: () => void }> = [];
  const logger = createLogger({
    level,
    secrets,
    pretty: false,
    destination: {
      write: (line: string) => {
        raw.push(line);
        const parsed = JSON.parse(line) as Record<string, unknown>;
        lines.push(parsed);
        for (const waiter of waiters.filter((w) => w.message === parsed.msg)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      },
    },
  });
  const whenLogged = (message: string) =>
    lines.some((line) => line.msg === message)
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.push({ message, resolve }));
  return { logger, lines, raw, whenLogged };
}
