// The API's response envelope ({success, data, error}) and how a failed response becomes an
// AssistantError: by the envelope's error.code first, the HTTP status second (the statuses are our
// assumption, see ASSISTANT-API.md), and a body that is not JSON is a retryable TRANSPORT error.
import { AssistantError, type AssistantErrorCode } from "../errors.js";
import type { HttpResponse } from "./http.js";

const KNOWN_CODES: ReadonlySet<string> = new Set<AssistantErrorCode>([
  "RATE_LIMIT_EXCEEDED",
  "INVALID_API_KEY",
  "BOT_NOT_FOUND",
  "INVALID_REQUEST",
  "INTERNAL_ERROR",
  "CONTACT_EXISTS",
  "CONTACT_NOT_FOUND",
]);

const RETRYABLE: ReadonlySet<AssistantErrorCode> = new Set([
  "RATE_LIMIT_EXCEEDED",
  "INTERNAL_ERROR",
  "TIMEOUT",
  "TRANSPORT",
]);

/** Status → code where a status means different things per API area (404: bot or contact). */
export type StatusCodes = Partial<Record<number, AssistantErrorCode>>;

export function isRetryable(code: AssistantErrorCode): boolean {
  return RETRYABLE.has(code);
}

/**
 * The envelope's data when the call succeeded; otherwise throws the classified AssistantError.
 * `where` names the call for the message ("POST /bot/bot-1"); `retryAfterMs` comes from the headers.
 */
export function unwrapEnvelope(
  response: HttpResponse,
  where: string,
  areaStatuses: StatusCodes,
  retryAfterMs?: number,
): unknown {
  const { status } = response;
  if (!response.isJson) {
    throw new AssistantError("TRANSPORT", `${where}: HTTP ${status} with a body that is not JSON`, {
      status,
      retryable: true,
    });
  }
  const body = response.json as { success?: unknown; data?: unknown; error?: unknown } | null;
  const ok = status >= 200 && status < 300;
  if (ok && body?.success === true) return body.data;

  const error = (body?.error ?? {}) as { code?: unknown; message?: unknown };
  const sent = typeof error.code === "string" ? error.code : undefined;
  const code: AssistantErrorCode =
    sent !== undefined && KNOWN_CODES.has(sent)
      ? (sent as AssistantErrorCode)
      : codeForStatus(status, areaStatuses);
  const detail = typeof error.message === "string" ? `: ${error.message}` : "";
  const shownCode = sent !== undefined && sent !== code ? `${sent} → ${code}` : code;
  throw new AssistantError(code, `${where}: HTTP ${status} ${shownCode}${detail}`, {
    status,
    retryable: isRetryable(code),
    retryAfterMs: code === "RATE_LIMIT_EXCEEDED" ? retryAfterMs : undefined,
  });
}

function codeForStatus(status: number, areaStatuses: StatusCodes): AssistantErrorCode {
  const specific = areaStatuses[status];
  if (specific) return specific;
  if (status === 429) return "RATE_LIMIT_EXCEEDED";
  if (status === 401 || status === 403) return "INVALID_API_KEY";
  if (status === 408) return "TIMEOUT";
  if (status >= 500) return "INTERNAL_ERROR";
  if (status >= 200 && status < 300) return "INTERNAL_ERROR";
  return "INVALID_REQUEST";
}

/** A success whose data lacks what the contract promises: the vendor changed something; not retried. */
export function malformed(where: string, what: string): AssistantError {
  return new AssistantError("INTERNAL_ERROR", `${where}: the API answered success without ${what}`, {
    retryable: false,
  });
}
