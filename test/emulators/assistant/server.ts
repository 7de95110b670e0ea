// A local stand-in for the MyGPTAssistants HTTP API (ASSISTANT-API.md): the documented chat endpoint
// and envelope, plus what the bridge assumes (status codes, strict sliding-window rate limits per
// API key, the Contact API, signed webhooks). Tests can inject faults and read every request back.
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ChatSessions, defaultResponder, type Responder } from "./chat-sessions.js";
import { type Contact, ContactBook } from "./contacts.js";
import { envelope, fail, invalid, type Outcome, ok } from "./outcome.js";
import {
  maxCallsInAnyWindow,
  type RateLimit,
  type RateLimitHeaders,
  SlidingWindow,
} from "./sliding-window.js";
import { postWebhook, type WebhookEvent, type WebhookSendOptions } from "./webhooks.js";

export type { Contact } from "./contacts.js";
export type { WebhookEvent } from "./webhooks.js";

export type ApiErrorCode =
  | "RATE_LIMIT_EXCEEDED"
  | "INVALID_API_KEY"
  | "BOT_NOT_FOUND"
  | "INVALID_REQUEST"
  | "INTERNAL_ERROR";

export type Fault =
  /** An envelope error; a 429 also carries Retry-After (retryAfterSeconds, default 1) and X-RateLimit-*. */
  (
    | { kind: "error"; code: ApiErrorCode; status?: number; message?: string; retryAfterSeconds?: number }
    /** A proxy's HTML error page (default 502). */
    | { kind: "non-json"; status?: number }
    /** Answers normally, delayMs late. */
    | { kind: "slow"; delayMs: number }
    /** Never answers (until the client gives up or close()). */
    | { kind: "hang" }
    /** Destroys the socket without a response. */
    | { kind: "drop" }
  ) & {
    /** Only requests of this kind meet the fault (default: the next request, whatever it is). */
    on?: "chat" | "data";
  };

export interface RecordedRequest {
  /** ms since epoch (options.now) when the request had arrived in full. */
  at: number;
  method: string;
  /** Without the /api/v1 prefix, e.g. "/bot/bot-1"; paths outside the prefix are kept whole. */
  path: string;
  apiKey?: string;
  body: unknown;
  /** 0 when no response was sent (hang, drop). */
  status: number;
  errorCode?: string;
  /** Counted against a rate limit (accepted calls only; 429 and 401 are not counted). */
  counted: boolean;
  kind: "chat" | "data" | "other";
}

export interface AssistantEmulatorOptions {
  apiKeys?: string[];
  botIds?: string[];
  chatLimit?: RateLimit;
  dataLimit?: RateLimit;
  webhookSecret?: string;
  now?: () => number;
  respond?: Responder;
  /** Port on 127.0.0.1; default 0 (an ephemeral port). */
  port?: number;
}

/**
 * Emits "request" (RecordedRequest) after each response is sent (or, for a hung or dropped request,
 * when its connection ends), and "received" ({method, path}) as soon as a request has arrived in full.
 */
export interface AssistantEmulator extends EventEmitter {
  readonly url: string;
  readonly apiKey: string;
  readonly botId: string;
  readonly requests: RecordedRequest[];
  readonly webhookSecret: string;
  injectFaults(...faults: Fault[]): void;
  setRespond(fn?: AssistantEmulatorOptions["respond"]): void;
  /** Max number of COUNTED chat calls (per key) that fell into any rolling window of windowMs. */
  maxChatCallsInAnyWindow(apiKey?: string): number;
  contacts(): Contact[];
  sendWebhook(
    url: string,
    event: WebhookEvent,
    opts?: WebhookSendOptions,
  ): Promise<{ status: number; body: string }>;
  makeMessageEvent(sessionId: string, role: "assistant" | "agent", content: string): WebhookEvent;
  close(): Promise<void>;
}

export const BASE_PATH = "/api/v1";
/** Longest chat message accepted, in characters (assumed; the vendor page names no cap). */
export const MAX_MESSAGE_CHARS = 10_000;
const MAX_BODY_BYTES = 1024 * 1024;

const STATUS_OF: Record<ApiErrorCode, number> = {
  RATE_LIMIT_EXCEEDED: 429,
  INVALID_API_KEY: 401,
  BOT_NOT_FOUND: 404,
  INVALID_REQUEST: 400,
  INTERNAL_ERROR: 500,
};
const MESSAGE_OF: Record<ApiErrorCode, string> = {
  RATE_LIMIT_EXCEEDED: "Too many requests. Please try again later.",
  INVALID_API_KEY: "Invalid API key.",
  BOT_NOT_FOUND: "Bot not found.",
  INVALID_REQUEST: "Invalid request.",
  INTERNAL_ERROR: "Internal server error.",
};
const PROXY_PAGE =
  "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>" +
  "<hr><center>nginx</center></body></html>";

type Route =
  | { kind: "chat"; botId: string }
  | { kind: "data"; action: "find" }
  | { kind: "data"; action: "create" }
  | { kind: "data"; action: "update"; contactId: string }
  | { kind: "other" };
type ApiRoute = Exclude<Route, { kind: "other" }>;

/** A response ready to write, plus what the request log needs to know about it. */
interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
  errorCode?: string;
  counted: boolean;
}

interface Arrival {
  at: number;
  method: string;
  path: string;
  apiKey?: string;
  raw: string;
  tooLarge: boolean;
  contentType?: string;
  query: URLSearchParams;
}

export async function startAssistantEmulator(
  options: AssistantEmulatorOptions = {},
): Promise<AssistantEmulator> {
  const emulator = new AssistantEmulatorServer(options);
  await emulator.listen(options.port ?? 0);
  return emulator;
}

class AssistantEmulatorServer extends EventEmitter implements AssistantEmulator {
  readonly requests: RecordedRequest[] = [];
  readonly webhookSecret: string;
  private readonly apiKeys: string[];
  private readonly botIds: string[];
  private readonly now: () => number;
  private readonly chatWindow: SlidingWindow;
  private readonly dataWindow: SlidingWindow;
  private readonly sessions = new ChatSessions();
  private readonly contactBook: ContactBook;
  private readonly faults: Fault[] = [];
  private readonly delayed = new Set<NodeJS.Timeout>();
  private respond: Responder;
  private eventCount = 0;
  private readonly server: Server;
  private address = "";
  private closed?: Promise<void>;

  constructor(options: AssistantEmulatorOptions) {
    super();
    this.apiKeys = options.apiKeys ?? ["test-key"];
    this.botIds = options.botIds ?? ["bot-1"];
    if (this.apiKeys.length === 0 || this.botIds.length === 0) {
      throw new Error("assistant emulator: apiKeys and botIds need at least one entry each");
    }
    for (const [name, rate] of Object.entries({
      chatLimit: options.chatLimit,
      dataLimit: options.dataLimit,
    })) {
      if (rate && !(Number.isInteger(rate.limit) && rate.limit > 0 && rate.windowMs > 0)) {
        throw new Error(`assistant emulator: ${name} needs a positive integer limit and a positive windowMs`);
      }
    }
    this.webhookSecret = options.webhookSecret ?? "whsec-test";
    this.now = options.now ?? Date.now;
    this.chatWindow = new SlidingWindow(options.chatLimit ?? { limit: 100, windowMs: 60_000 });
    this.dataWindow = new SlidingWindow(options.dataLimit ?? { limit: 1000, windowMs: 3_600_000 });
    this.contactBook = new ContactBook(this.now);
    this.respond = options.respond ?? defaultResponder;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end(`assistant emulator bug: ${String(error)}`);
      });
    });
  }

  get url(): string {
    return `${this.address}${BASE_PATH}`;
  }
  get apiKey(): string {
    return this.apiKeys[0]!;
  }
  get botId(): string {
    return this.botIds[0]!;
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => {
        const { port: bound } = this.server.address() as AddressInfo;
        this.address = `http://127.0.0.1:${bound}`;
        resolve();
      });
    });
  }

  injectFaults(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  setRespond(fn?: Responder): void {
    this.respond = fn ?? defaultResponder;
  }

  maxChatCallsInAnyWindow(apiKey: string = this.apiKey): number {
    const times = this.requests
      .filter((r) => r.kind === "chat" && r.counted && r.apiKey === apiKey)
      .map((r) => r.at)
      .sort((a, b) => a - b);
    return maxCallsInAnyWindow(times, this.chatWindow.rate.windowMs);
  }

  contacts(): Contact[] {
    return this.contactBook.all();
  }

  makeMessageEvent(sessionId: string, role: "assistant" | "agent", content: string): WebhookEvent {
    const session = this.sessions.find(sessionId);
    if (!session) throw new Error(`assistant emulator: no session ${sessionId} has chatted yet`);
    return {
      id: `evt_${++this.eventCount}`,
      type: "message.created",
      createdAt: new Date(this.now()).toISOString(),
      data: {
        conversationId: session.conversationId,
        sessionId,
        messageId: this.sessions.nextMessageId(),
        role,
        content,
      },
    };
  }

  sendWebhook(url: string, event: WebhookEvent, opts?: WebhookSendOptions) {
    return postWebhook(url, event, this.webhookSecret, this.now(), opts);
  }

  close(): Promise<void> {
    this.closed ??= new Promise((resolve) => {
      for (const timer of this.delayed) clearTimeout(timer);
      this.delayed.clear();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrival = await this.receive(req);
    this.emit("received", { method: arrival.method, path: arrival.path });
    const route = routeOf(arrival.method, arrival.path);
    if (route.kind === "other") {
      const outcome = fail(404, "INVALID_REQUEST", `no such endpoint: ${arrival.method} ${arrival.path}`);
      this.write(res, arrival, route, reply(outcome, {}, false));
      return;
    }
    const faultAt = this.faults.findIndex((f) => f.on === undefined || f.on === route.kind);
    const fault = faultAt === -1 ? undefined : this.faults.splice(faultAt, 1)[0];
    const window = route.kind === "chat" ? this.chatWindow : this.dataWindow;
    if (fault?.kind === "hang") {
      res.on("close", () => this.log(arrival, route, { status: 0, counted: false }));
      return;
    }
    if (fault?.kind === "drop") {
      req.socket.destroy();
      this.log(arrival, route, { status: 0, counted: false });
      return;
    }
    const response =
      fault?.kind === "error"
        ? this.injectedError(fault, arrival, window)
        : fault?.kind === "non-json"
          ? proxyPage(fault.status ?? 502)
          : this.answer(route, arrival, window);
    if (fault?.kind !== "slow") {
      this.write(res, arrival, route, response);
      return;
    }
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      this.write(res, arrival, route, response);
    }, fault.delayMs);
    this.delayed.add(timer);
  }

  /** Normal handling: auth, then the rate limit, then the endpoint itself. */
  private answer(route: ApiRoute, arrival: Arrival, window: SlidingWindow): Reply {
    const { apiKey, at } = arrival;
    if (apiKey === undefined || !this.apiKeys.includes(apiKey)) {
      const message =
        apiKey === undefined ? "Missing Authorization: Bearer <API key>." : MESSAGE_OF.INVALID_API_KEY;
      return reply(fail(401, "INVALID_API_KEY", message), window.headers(apiKey ?? "", at), false);
    }
    if (!window.hasRoom(apiKey, at)) {
      const outcome = fail(429, "RATE_LIMIT_EXCEEDED", MESSAGE_OF.RATE_LIMIT_EXCEEDED);
      return reply(outcome, window.headers(apiKey, at, true), false);
    }
    window.record(apiKey, at);
    const outcome = route.kind === "chat" ? this.chat(route.botId, arrival) : this.data(route, arrival);
    return reply(outcome, window.headers(apiKey, at), true);
  }

  private chat(botId: string, arrival: Arrival): Outcome {
    if (!this.botIds.includes(botId)) return fail(404, "BOT_NOT_FOUND", `Bot ${botId} not found.`);
    const body = jsonBody(arrival);
    if ("problem" in body) return invalid(body.problem);
    const { message, sessionId, ...rest } = body.value as Record<string, unknown>;
    const unknownField = Object.keys(rest)[0];
    if (unknownField !== undefined) return invalid(`unknown field ${unknownField}`);
    if (typeof message !== "string" || message.trim() === "")
      return invalid("message must be a non-empty string");
    if ([...message].length > MAX_MESSAGE_CHARS) {
      return invalid(`message is longer than ${MAX_MESSAGE_CHARS} characters`);
    }
    if (sessionId !== undefined && (typeof sessionId !== "string" || sessionId === "")) {
      return invalid("sessionId must be a non-empty string when given");
    }
    const session = this.sessions.open(sessionId);
    session.turns++;
    let response: string;
    try {
      response = this.respond({ botId, message, sessionId: session.sessionId, turn: session.turns });
    } catch (error) {
      return fail(500, "INTERNAL_ERROR", `the assistant failed: ${String(error)}`);
    }
    return ok({ response, conversationId: session.conversationId, messageId: this.sessions.nextMessageId() });
  }

  private data(route: Exclude<ApiRoute, { kind: "chat" }>, arrival: Arrival): Outcome {
    if (route.action === "find") return this.contactBook.find(arrival.query.get("externalId"));
    const body = jsonBody(arrival);
    if ("problem" in body) return invalid(body.problem);
    return route.action === "create"
      ? this.contactBook.create(body.value)
      : this.contactBook.update(route.contactId, body.value);
  }

  private injectedError(
    fault: Extract<Fault, { kind: "error" }>,
    { apiKey, at }: Arrival,
    window: SlidingWindow,
  ): Reply {
    const key = apiKey ?? "";
    const outcome = fail(
      fault.status ?? STATUS_OF[fault.code],
      fault.code,
      fault.message ?? MESSAGE_OF[fault.code],
    );
    if (fault.code === "RATE_LIMIT_EXCEEDED") {
      const seconds = fault.retryAfterSeconds ?? 1;
      const headers: RateLimitHeaders = {
        ...window.headers(key, at),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": String(Math.ceil(at / 1000) + seconds),
        "Retry-After": String(seconds),
      };
      return reply(outcome, headers, false);
    }
    // The server accepted the call and then failed it, so it counts, unless the real server would
    // have refused it first (bad key, or no room left in the window).
    const counted = fault.code !== "INVALID_API_KEY" && this.apiKeys.includes(key) && window.hasRoom(key, at);
    if (counted) window.record(key, at);
    return reply(outcome, window.headers(key, at), counted);
  }

  private async receive(req: IncomingMessage): Promise<Arrival> {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    }
    const url = new URL(req.url ?? "/", "http://emulator");
    const path = url.pathname.startsWith(`${BASE_PATH}/`)
      ? url.pathname.slice(BASE_PATH.length)
      : url.pathname;
    const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
    return {
      at: this.now(),
      method: req.method ?? "GET",
      path,
      apiKey: auth?.[1],
      raw: Buffer.concat(chunks).toString("utf8"),
      tooLarge,
      contentType: req.headers["content-type"],
      query: url.searchParams,
    };
  }

  private write(res: ServerResponse, arrival: Arrival, route: Route, response: Reply): void {
    if (res.destroyed) {
      this.log(arrival, route, { ...response, status: 0 });
      return;
    }
    res.writeHead(response.status, {
      ...response.headers,
      "content-length": String(Buffer.byteLength(response.body)),
    });
    const entry = this.log(arrival, route, response, false);
    res.end(response.body, () => this.emit("request", entry));
  }

  /** Adds the request to the log; emits "request" at once unless the caller emits after sending. */
  private log(
    arrival: Arrival,
    route: Route,
    result: { status: number; errorCode?: string; counted: boolean },
    emitNow = true,
  ): RecordedRequest {
    const entry: RecordedRequest = {
      at: arrival.at,
      method: arrival.method,
      path: arrival.path,
      apiKey: arrival.apiKey,
      body: recordedBody(arrival.raw),
      status: result.status,
      errorCode: result.errorCode,
      counted: result.counted,
      kind: route.kind,
    };
    this.requests.push(entry);
    if (emitNow) this.emit("request", entry);
    return entry;
  }
}

function routeOf(method: string, path: string): Route {
  const chat = /^\/bot\/([^/]+)$/.exec(path);
  if (chat && method === "POST") return { kind: "chat", botId: decodeURIComponent(chat[1]!) };
  if (path === "/contacts" && method === "GET") return { kind: "data", action: "find" };
  if (path === "/contacts" && method === "POST") return { kind: "data", action: "create" };
  const contact = /^\/contacts\/([^/]+)$/.exec(path);
  if (contact && method === "PATCH")
    return { kind: "data", action: "update", contactId: decodeURIComponent(contact[1]!) };
  return { kind: "other" };
}

function jsonBody(arrival: Arrival): { value: unknown } | { problem: string } {
  if (arrival.tooLarge) return { problem: `body is larger than ${MAX_BODY_BYTES} bytes` };
  if (!/^application\/json\b/i.test(arrival.contentType ?? "")) {
    return { problem: "Content-Type must be application/json" };
  }
  let value: unknown;
  try {
    value = JSON.parse(arrival.raw);
  } catch {
    return { problem: "body is not valid JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { problem: "body must be a JSON object" };
  }
  return { value };
}

function reply(
  outcome: Outcome,
  headers: RateLimitHeaders | Record<string, string>,
  counted: boolean,
): Reply {
  return {
    status: outcome.status,
    headers: { ...headers, "content-type": "application/json; charset=utf-8" },
    body: envelope(outcome),
    errorCode: outcome.error?.code,
    counted,
  };
}

function proxyPage(status: number): Reply {
  return { status, headers: { "content-type": "text/html" }, body: PROXY_PAGE, counted: false };
}

function recordedBody(raw: string): unknown {
  if (raw === "") return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
