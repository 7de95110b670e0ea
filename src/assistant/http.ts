// One HTTP exchange with the MyGPTAssistants API: bearer auth, JSON body, a per-request timeout
// combined with the caller's signal, and the body read as text (parsed as JSON when it is JSON).
// Network failures become AssistantError TRANSPORT / TIMEOUT; the API key never enters a message.
import { AssistantError } from "../errors.js";

export interface HttpRequest {
  method: "GET" | "POST" | "PATCH";
  /** Path under the base URL, e.g. "/bot/bot-1" or "/contacts?externalId=…". */
  path: string;
  body?: unknown;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** The parsed body, or undefined when it was not JSON. */
  json: unknown;
  isJson: boolean;
}

export interface HttpSettings {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

export async function sendRequest(
  settings: HttpSettings,
  request: HttpRequest,
  callerSignal?: AbortSignal,
): Promise<HttpResponse> {
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  const signal = callerSignal ? AbortSignal.any([timeout, callerSignal]) : timeout;
  const where = `${request.method} ${pathOnly(request.path)}`;
  try {
    const response = await fetch(joinUrl(settings.baseUrl, request.path), {
      method: request.method,
      headers: {
        authorization: `Bearer ${settings.apiKey}`,
        accept: "application/json",
        ...(request.body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal,
    });
    const text = await response.text();
    const parsed = parseJson(text);
    return { status: response.status, headers: response.headers, json: parsed.value, isJson: parsed.ok };
  } catch (error) {
    if (callerSignal?.aborted) throw callerSignal.reason;
    if (timeout.aborted) {
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

/** A short reason from undici's "fetch failed" chain, e.g. ECONNREFUSED, without any request details. */
function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return cause.message;
  return error instanceof Error ? error.message : "unknown error";
}
