// Plain-fetch calls against the emulator, as a client would make them, for the emulator's own tests.
import type { AssistantEmulator } from "../emulators/assistant/index.js";

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary envelope fields
  json: any;
}

export async function call(
  emulator: AssistantEmulator,
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; apiKey?: string | null; contentType?: string } = {},
): Promise<CallResult> {
  const headers: Record<string, string> = {};
  const apiKey = options.apiKey === undefined ? emulator.apiKey : options.apiKey;
  if (apiKey !== null) headers.authorization = `Bearer ${apiKey}`;
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined) headers["content-type"] = options.contentType ?? "application/json";
  const response = await fetch(`${emulator.url}${path}`, { method, headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export function chat(
  emulator: AssistantEmulator,
  body: unknown,
  options: { apiKey?: string | null; botId?: string } = {},
): Promise<CallResult> {
  return call(emulator, "POST", `/bot/${options.botId ?? emulator.botId}`, { body, apiKey: options.apiKey });
}
