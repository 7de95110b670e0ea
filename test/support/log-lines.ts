// A pino logger whose JSON lines a test can read back, for asserting what the bridge logged.
import type { Logger } from "pino";
import { createLogger } from "../../src/logger.js";

export interface CapturedLogs {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
  /** Every line as written, for "never appears anywhere" checks. */
  raw: string[];
}

export function captureLogs(level = "info", secrets: string[] = []): CapturedLogs {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const logger = createLogger({
    level,
    secrets,
    pretty: false,
    destination: {
      write: (line: string) => {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  return { logger, lines, raw };
}
