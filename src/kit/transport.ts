// Classifying a failed call to a platform or API: which HTTP statuses are worth retrying, and a short
// reason for a transport failure (undici's "fetch failed" hides the useful code in its cause) that
// carries no request details.

/** Server errors, request timeouts and rate limits: the same call may succeed later. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** A network error's code (ECONNREFUSED, UND_ERR_SOCKET…), from the error or its cause, if it has one. */
export function transportCode(error: unknown): string | undefined {
  const own = (error as { code?: unknown } | null)?.code;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof cause === "string") return cause;
  return typeof own === "string" ? own : undefined;
}

/** A short reason for a transport failure: its code where it has one, else the first line of its message. */
export function transportReason(error: unknown): string {
  const code = transportCode(error);
  if (code) return code;
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? "";
}
