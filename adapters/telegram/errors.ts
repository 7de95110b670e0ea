// Turns what grammY throws into the bridge's DeliveryError: flood limits and transport failures are
// worth retrying, other Bot API refusals (blocked, chat not found, bad request) are not. The bot
// token never appears in the result, even when the network error's message carries the URL.
import { GrammyError, HttpError } from "grammy";
import { DeliveryError } from "../../src/errors.js";
import { isRetryableStatus, Redactor } from "../../src/kit/index.js";

export function toDeliveryError(error: unknown, token: string): DeliveryError {
  if (error instanceof DeliveryError) return error;
  if (error instanceof GrammyError) {
    const what = `Telegram refused ${error.method}: ${error.error_code} ${error.description}`;
    if (error.error_code === 429) {
      const seconds = error.parameters.retry_after ?? 1;
      return new DeliveryError(what, true, { retryAfterMs: seconds * 1000, cause: scrubbed(error, token) });
    }
    return new DeliveryError(what, isRetryableStatus(error.error_code), { cause: scrubbed(error, token) });
  }
  if (error instanceof HttpError) {
    return new DeliveryError(`Could not reach Telegram: ${scrub(error.message, token)}`, true, {
      cause: scrubbed(error.error, token),
    });
  }
  return new DeliveryError(`Sending to Telegram failed: ${scrub(String(error), token)}`, true, {
    cause: scrubbed(error, token),
  });
}

/** True for the Bot API's answers that mean the HTML itself was the problem. */
export function isRenderingRejection(error: unknown): boolean {
  return (
    error instanceof GrammyError &&
    error.error_code === 400 &&
    /can't parse entities|message is too long|text is empty/i.test(error.description)
  );
}

export function scrub(text: string, token: string): string {
  return new Redactor([token]).text(text);
}

function scrubbed(error: unknown, token: string): Error {
  return new Redactor([token]).error(error, (error as { code?: unknown } | null)?.code);
}
