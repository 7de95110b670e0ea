// One HTTP exchange with the MyGPTAssistants API: bearer auth, JSON body, a per-request timeout
// combined with the caller's signal, and the body read as text (parsed as JSON when it is JSON).
// Network failures become AssistantError TRANSPORT / TIMEOUT; the API key never enters a message.
// The bytes travel through an Exchange: fetch by default (web APIs only, so the client runs in
// browsers), or node:http in the bridge itself (node-exchange.ts), which costs less CPU per call.
import { AssistantError } from "../errors.js";

export interface HttpRequest {
  method: "GET" | "POST" | "PATCH";
  /** Path under the base URL, e.g. "/bot/bot-1" or "/contacts?externalId=…". */
  path: string;
  body?: unknown;
}

/** Response headers by name (case-insensitive), as the Fetch API's Headers reads them. */
export interface ResponseHeaders {
  get(name: string): string | null;
}

export interface HttpResponse {
  status: number;
  headers: ResponseHeaders;
  /** The parsed body, or undefined when it was not JSON. */
  json: unknown;
  isJson: boolean;
}

export interface HttpSettings {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

/** What an exchange sends: the whole URL, the method, headers and the body as text. */
export interface OutgoingRequest {
  url: string;
  method: HttpRequest["method"];
  headers: Record<string, string>;
  body?: string;
}

/**
 * Sends one request and reads the whole response body. It rejects with the signal's reason when
 * the signal aborts, after `timeoutMs` with a TimeoutError, and otherwise on a network failure.
 */
export type Exchange = (
  request: OutgoingRequest,
  timeoutMs: number,
  signal?: AbortSignal,
) => Promise<{ status: number; headers: ResponseHeaders; text: string }>;

/** The exchange over the Fetch API (Node, Deno, Bun, browsers). */
export const fetchExchange: Exchange = async (request, timeoutMs, callerSignal) => {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = callerSignal ? AbortSignal.any([timeout, callerSignal]) : timeout;
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal,
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  } catch (error) {
    if (timeout.aborted && !callerSignal?.aborted) throw new TimeoutError();
    throw error;
  }
};

/** An exchange's "no answer within the time allowed". */
export class TimeoutError extends Error {
  constructor() {
    super("timed out");
    this.name = "TimeoutError";
  }
}

export async function sendRequest(
  settings: HttpSettings,
  request: HttpRequest,
  callerSignal?: AbortSignal,
  exchange: Exchange = fetchExchange,
): Promise<HttpResponse> {
  const where = `${request.method} ${pathOnly(request.path)}`;
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  try {
    const response = await exchange(
      {
        url: joinUrl(settings.baseUrl, request.path),
        method: request.method,
        headers: {
          authorization: `Bearer ${settings.apiKey}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body !== undefined && { body }),
      },
      settings.timeoutMs,
      callerSignal,
    );
    const parsed = parseJson(response.text);
    return { status: response.status, headers: response.headers, json: parsed.value, isJson: parsed.ok };
  } catch (error) {
    if (callerSignal?.aborted) throw callerSignal.reason;
    if (error instanceof TimeoutError) {
      throw new AssistantError("TIMEOUT", `${where}: no answer within ${settings.timeoutMs} ms`, {
        retryable: true,
      });
    }
    throw new AssistantError("TRANSPORT", `${where}: connection failed (${describe(error)})`, {
      retryable: true,
      cause: error,
    });
  }
}

function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${path}`;
}

/** The path without its query string: queries carry user identifiers that error messages need not. */
export function pathOnly(path: string): string {
  const query = path.indexOf("?");
  return query === -1 ? path : path.slice(0, query);
}

function parseJson(text: string): { ok: boolean; value: unknown } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, value: undefined };
  }
}

/** A short reason for a network failure, e.g. ECONNREFUSED (fetch puts it in `cause`), without request details. */
function describe(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string") return code;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return cause.message;
  return error instanceof Error ? error.message : "unknown error";
}
