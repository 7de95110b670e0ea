// Maps Slack Web API failures onto the bridge's DeliveryError: rate limits the client could not
// wait out and transport/5xx failures are retryable; Slack's refusals (not_in_channel,
// channel_not_found, msg_too_long, invalid_auth, ...) are not. Messages never carry a token.
import { webApi } from "@slack/bolt";
import { DeliveryError } from "../../src/errors.js";
import { isRetryableStatus, tokenRedactor } from "../../src/kit/index.js";

const RATE_LIMIT_MESSAGE = /rate limit was exceeded.*retry-after: (\d+)/i;
const RETRYABLE_PLATFORM_ERRORS = new Set([
  "ratelimited",
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
]);

/** The `error` code of a Slack platform error ("not_in_channel"), if it is one. */
export function slackErrorCode(error: unknown): string | undefined {
  if (isCoded(error) && error.code === webApi.ErrorCode.PlatformError) {
    const data = (error as { data?: { error?: unknown } }).data;
    return typeof data?.error === "string" ? data.error : undefined;
  }
  return undefined;
}

export function toDeliveryError(error: unknown, action = "post to Slack"): DeliveryError {
  const code = slackErrorCode(error);
  if (code) {
    return new DeliveryError(`Slack refused to ${action}: ${code}`, RETRYABLE_PLATFORM_ERRORS.has(code), {
      cause: error,
    });
  }
  if (isCoded(error) && error.code === webApi.ErrorCode.RateLimitedError) {
    const retryAfter = (error as { retryAfter?: number }).retryAfter;
    return new DeliveryError(`Slack rate-limited the call to ${action}`, true, {
      ...(retryAfter !== undefined && { retryAfterMs: retryAfter * 1000 }),
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  const limited = RATE_LIMIT_MESSAGE.exec(message);
  if (limited) {
    return new DeliveryError(`Slack kept rate-limiting the call to ${action}`, true, {
      retryAfterMs: Number(limited[1]) * 1000,
      cause: error,
    });
  }
  if (isCoded(error) && error.code === webApi.ErrorCode.HTTPError) {
    const status = (error as { statusCode?: number }).statusCode ?? 0;
    return new DeliveryError(
      `Slack answered HTTP ${status} when asked to ${action}`,
      isRetryableStatus(status),
      {
        cause: error,
      },
    );
  }
  return new DeliveryError(`Could not reach Slack to ${action}: ${oneLine(message)}`, true, { cause: error });
}

function isCoded(error: unknown): error is { code: string } {
  return (
    typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string"
  );
}

function oneLine(text: string): string {
  return tokenRedactor.text(text).split("\n")[0] ?? "";
}
