// What a route handler decides, before the server wraps it in the API's envelope
// ({success, data, error}) and adds the rate-limit headers.

export interface Outcome {
  status: number;
  data?: unknown;
  error?: { code: string; message: string };
}

export function ok(data: unknown, status = 200): Outcome {
  return { status, data };
}

export function fail(status: number, code: string, message: string): Outcome {
  return { status, error: { code, message } };
}

export function invalid(message: string): Outcome {
  return fail(400, "INVALID_REQUEST", message);
}

export function envelope(outcome: Outcome): string {
  return JSON.stringify(
    outcome.error
      ? { success: false, data: null, error: outcome.error }
      : { success: true, data: outcome.data ?? null, error: null },
  );
}
