// Routes the Slack SDKs' logging (Bolt, Web API, Socket Mode, OAuth) into the bridge's pino logger,
// with every known secret scrubbed from the text. The SDKs' "info" chatter is logged at debug.
import { LogLevel, type Logger as SlackLogger } from "@slack/bolt";
import type { Logger } from "pino";
import { Redactor } from "../../src/kit/index.js";

export function slackSdkLogger(logger: Logger, secrets: Array<string | undefined>): SlackLogger {
  const redactor = new Redactor(secrets, { minLength: 6 });
  const text = (parts: unknown[]): string =>
    redactor.text(
      parts.map((p) => (p instanceof Error ? p.message : typeof p === "string" ? p : safeJson(p))).join(" "),
    );
  let level = LogLevel.DEBUG;
  return {
    debug: (...msg: unknown[]) => logger.debug(text(msg)),
    info: (...msg: unknown[]) => logger.debug(text(msg)),
    warn: (...msg: unknown[]) => logger.warn(text(msg)),
    error: (...msg: unknown[]) => logger.error(text(msg)),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
