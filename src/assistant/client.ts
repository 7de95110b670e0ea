// The MyGPTAssistants API client: one place that sends a call, reports the rate-limit headers of
// every response, unwraps the envelope into data or an AssistantError, and retries within bounds.
// The endpoint details live in chat.ts and contacts.ts. It uses only fetch and web APIs (no `node:`
// modules, no pino at run time), so the same code runs in Node and in browsers (`mygpt-bridge/client`).
import { DEFAULTS } from "../defaults.js";
import { AssistantError } from "../errors.js";
import { sleep as abortableSleep } from "../kit/retry.js";
import { CHAT_STATUSES, chatRequest, readChatReply } from "./chat.js";
import {
  CONTACT_STATUSES,
  createContactRequest,
  findContactRequest,
  readContact,
  readFoundContact,
  updateContactRequest,
} from "./contacts.js";
import { type StatusCodes, unwrapEnvelope } from "./envelope.js";
import { type Exchange, type HttpRequest, pathOnly, sendRequest } from "./http.js";
import { readRateLimit, serverWaitMs } from "./rate-limit-headers.js";
import { type RetryPolicy, withRetries } from "./retry.js";
import type { AssistantApi, RateLimitInfo } from "./types.js";

/** The two log calls the client makes; a pino logger fits, and so does `console`-like code. */
export interface ClientLogger {
  warn(details: object, message: string): void;
  debug(details: object, message: string): void;
}

const SILENT: ClientLogger = { warn() {}, debug() {} };

/** Which of the vendor's rate limits a call spends: chat endpoints, or data endpoints (contacts). */
export type ApiArea = "chat" | "data";

export interface AssistantClientOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
  maxAttempts?: number;
  maxRetryTimeMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  logger?: ClientLogger;
  /** Called with the X-RateLimit-* / Retry-After values of every response that carries them. */
  onRateLimit?: (info: RateLimitInfo, area: ApiArea) => void;
  /**
   * Awaited before each retry, so a call budget can count (and pace) the extra call; a function it
   * returns is called when that retry has finished.
   */
  beforeRetry?: (area: ApiArea, signal?: AbortSignal) => Promise<(() => void) | undefined>;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** How requests travel (default: fetch); the bridge passes node:http's (node-exchange.ts). */
  exchange?: Exchange;
}

export function createAssistantClient(options: AssistantClientOptions): AssistantApi {
  const logger = options.logger ?? SILENT;
  const now = options.now ?? Date.now;
  const http = {
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    timeoutMs: options.timeoutMs ?? DEFAULTS.assistantTimeoutMs,
  };
  const sleep = options.sleep;
  const policy: RetryPolicy = {
    maxAttempts: options.maxAttempts ?? DEFAULTS.assistantMaxAttempts,
    maxRetryTimeMs: options.maxRetryTimeMs ?? DEFAULTS.assistantMaxRetryTimeMs,
    backoffBaseMs: options.backoffBaseMs ?? DEFAULTS.assistantBackoffBaseMs,
    backoffMaxMs: options.backoffMaxMs ?? DEFAULTS.assistantBackoffMaxMs,
    random: options.random ?? Math.random,
    sleep: sleep ? (ms) => sleep(ms) : abortableSleep,
    now,
  };

  async function call(
    area: ApiArea,
    request: HttpRequest,
    statuses: StatusCodes,
    signal?: AbortSignal,
  ): Promise<{ data: unknown; where: string }> {
    const where = `${request.method} ${pathOnly(request.path)}`;
    const data = await withRetries(
      async () => {
        const response = await sendRequest(http, request, signal, options.exchange);
        const info = readRateLimit(response.headers, now());
        if (info) options.onRateLimit?.(info, area);
        return unwrapEnvelope(response, where, statuses, serverWaitMs(info, now()));
      },
      policy,
      {
        signal,
        beforeRetry: options.beforeRetry ? (s) => options.beforeRetry!(area, s) : undefined,
        onRetry: (error, attempt, waitMs) =>
          logger.warn({ call: where, code: error.code, attempt, waitMs }, "assistant call failed; retrying"),
      },
    ).catch((error: unknown) => {
      if (error instanceof AssistantError) {
        // CONTACT_EXISTS / CONTACT_NOT_FOUND are answers contact sync expects, not faults.
        const level = error.code.startsWith("CONTACT_") ? "debug" : "warn";
        logger[level]({ call: where, code: error.code, retryable: error.retryable }, "assistant call failed");
      }
      throw error;
    });
    return { data, where };
  }

  return {
    async chat(request, callOptions) {
      const { data, where } = await call("chat", chatRequest(request), CHAT_STATUSES, callOptions?.signal);
      return readChatReply(data, where);
    },
    async findContactByExternalId(externalId) {
      const { data, where } = await call("data", findContactRequest(externalId), CONTACT_STATUSES);
      return readFoundContact(data, where, externalId);
    },
    async createContact(input) {
      const { data, where } = await call("data", createContactRequest(input), CONTACT_STATUSES);
      return readContact(data, where);
    },
    async updateContact(contactId, changes) {
      const { data, where } = await call("data", updateContactRequest(contactId, changes), CONTACT_STATUSES);
      return readContact(data, where);
    },
  };
}
