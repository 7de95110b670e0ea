// The assistant client against the API emulator: replies, every error code and fault kind, which
// failures are retried (counted in emulator.requests) and that retries stay within their bounds;
// over both exchanges (fetch, as in browsers, and node:http, as in the bridge).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Exchange, fetchExchange } from "../../src/assistant/http.js";
import { type AssistantClientOptions, createAssistantClient } from "../../src/assistant/index.js";
import { nodeExchange } from "../../src/assistant/node-exchange.js";
import type { RateLimitInfo } from "../../src/assistant/types.js";
import { AssistantError } from "../../src/errors.js";
import {
  type AssistantEmulator,
  type RecordedRequest,
  startAssistantEmulator,
} from "../emulators/assistant/index.js";
import { collectEvents } from "../support/events.js";
import { freePort } from "../support/redis.js";

let emulator: AssistantEmulator;
beforeEach(async () => {
  emulator = await startAssistantEmulator();
});
afterEach(() => emulator.close());

/** A client with fast backoff, so retry tests take milliseconds. */
function client(overrides: Partial<AssistantClientOptions> = {}) {
  return createAssistantClient({
    baseUrl: emulator.url,
    apiKey: emulator.apiKey,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
    timeoutMs: 2_000,
    exchange,
    ...overrides,
  });
}

let exchange: Exchange;

async function failure(promise: Promise<unknown>): Promise<AssistantError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AssistantError);
  return error as AssistantError;
}

const chats = () => emulator.requests.filter((r) => r.kind === "chat");

describe.each([
  ["fetch", fetchExchange],
  ["node:http", nodeExchange],
] as const)("over %s", (_name, used) => {
  beforeEach(() => {
    exchange = used;
  });

  describe("chat", () => {
    it("a message gets the assistant's reply, and the session carries to the next turn", async () => {
      const api = client();
      const first = await api.chat({ botId: emulator.botId, message: "hello", sessionId: "s-1" });
      const second = await api.chat({ botId: emulator.botId, message: "again", sessionId: "s-1" });
      expect(first.response).toBe("[session s-1 turn 1] hello");
      expect(second.response).toBe("[session s-1 turn 2] again");
      expect(second.conversationId).toBe(first.conversationId);
      expect(chats().map((r) => r.body)).toEqual([
        { message: "hello", sessionId: "s-1" },
        { message: "again", sessionId: "s-1" },
      ]);
    });

    it("a message without a session starts one", async () => {
      const reply = await client().chat({ botId: emulator.botId, message: "hi" });
      expect(reply.response).toMatch(/^\[session \S+ turn 1\] hi$/);
      expect(chats()[0]?.body).toEqual({ message: "hi" });
    });
  });

  describe("errors that are never retried", () => {
    it("a wrong API key fails at once with INVALID_API_KEY", async () => {
      const error = await failure(
        client({ apiKey: "wrong-key" }).chat({ botId: emulator.botId, message: "hi" }),
      );
      expect(error).toMatchObject({ code: "INVALID_API_KEY", retryable: false, status: 401 });
      expect(chats()).toHaveLength(1);
    });

    it("an unknown bot fails at once with BOT_NOT_FOUND", async () => {
      const error = await failure(client().chat({ botId: "no-such-bot", message: "hi" }));
      expect(error).toMatchObject({ code: "BOT_NOT_FOUND", retryable: false, status: 404 });
      expect(chats()).toHaveLength(1);
    });

    it("a message the API refuses fails at once with INVALID_REQUEST", async () => {
      const error = await failure(client().chat({ botId: emulator.botId, message: "   " }));
      expect(error).toMatchObject({ code: "INVALID_REQUEST", retryable: false, status: 400 });
      expect(error.message).toContain("message must be a non-empty string");
      expect(chats()).toHaveLength(1);
    });

    it("the envelope's code wins over the status (a BOT_NOT_FOUND sent with 400)", async () => {
      emulator.injectFaults({ kind: "error", code: "BOT_NOT_FOUND", status: 400 });
      const error = await failure(client().chat({ botId: emulator.botId, message: "hi" }));
      expect(error).toMatchObject({ code: "BOT_NOT_FOUND", status: 400, retryable: false });
    });
  });

  describe("errors that are retried within bounds", () => {
    it("one INTERNAL_ERROR is retried and the message answered", async () => {
      emulator.injectFaults({ kind: "error", code: "INTERNAL_ERROR" });
      const reply = await client().chat({ botId: emulator.botId, message: "hi", sessionId: "s" });
      expect(reply.response).toBe("[session s turn 1] hi");
      expect(chats().map((r) => r.status)).toEqual([500, 200]);
    });

    it("a lasting INTERNAL_ERROR gives up after maxAttempts, still marked retryable", async () => {
      emulator.injectFaults(
        ...Array.from({ length: 5 }, () => ({ kind: "error", code: "INTERNAL_ERROR" }) as const),
      );
      const error = await failure(client({ maxAttempts: 3 }).chat({ botId: emulator.botId, message: "hi" }));
      expect(error).toMatchObject({ code: "INTERNAL_ERROR", retryable: true, status: 500 });
      expect(chats()).toHaveLength(3);
    });

    it("an assistant that crashes on every try ends in a retryable INTERNAL_ERROR", async () => {
      emulator.setRespond(() => {
        throw new Error("model crashed");
      });
      const error = await failure(client({ maxAttempts: 2 }).chat({ botId: emulator.botId, message: "hi" }));
      expect(error).toMatchObject({ code: "INTERNAL_ERROR", retryable: true });
      expect(chats()).toHaveLength(2);
    });

    it("a proxy's HTML 502 page is retried as a TRANSPORT error and the message answered", async () => {
      emulator.injectFaults({ kind: "non-json", status: 502 });
      const reply = await client().chat({ botId: emulator.botId, message: "hi", sessionId: "s" });
      expect(reply.response).toBe("[session s turn 1] hi");
      expect(chats().map((r) => r.status)).toEqual([502, 200]);
    });

    it("lasting HTML error pages end in a retryable TRANSPORT error", async () => {
      emulator.injectFaults({ kind: "non-json" }, { kind: "non-json" });
      const error = await failure(client({ maxAttempts: 2 }).chat({ botId: emulator.botId, message: "hi" }));
      expect(error).toMatchObject({ code: "TRANSPORT", retryable: true, status: 502 });
      expect(error.message).toContain("not JSON");
    });

    it("a dropped connection is retried and the message answered", async () => {
      emulator.injectFaults({ kind: "drop" });
      const reply = await client().chat({ botId: emulator.botId, message: "hi", sessionId: "s" });
      expect(reply.response).toBe("[session s turn 1] hi");
      expect(chats().map((r) => r.status)).toEqual([0, 200]);
    });

    it("a hung response times out, is retried, and fails after maxAttempts with TIMEOUT", async () => {
      emulator.injectFaults({ kind: "hang" }, { kind: "hang" }, { kind: "hang" });
      const ended = collectEvents<RecordedRequest>(emulator, "request", 2);
      const started = Date.now();
      const error = await failure(
        client({ timeoutMs: 150, maxAttempts: 2 }).chat({ botId: emulator.botId, message: "hi" }),
      );
      expect(error).toMatchObject({ code: "TIMEOUT", retryable: true });
      expect(Date.now() - started).toBeLessThan(2_000);
      expect((await ended).map((r) => r.status)).toEqual([0, 0]);
    });

    it("a slow answer within the timeout is simply awaited", async () => {
      emulator.injectFaults({ kind: "slow", delayMs: 100 });
      const reply = await client({ timeoutMs: 1_000 }).chat({
        botId: emulator.botId,
        message: "hi",
        sessionId: "s",
      });
      expect(reply.response).toBe("[session s turn 1] hi");
      expect(chats()).toHaveLength(1);
    });

    it("a refused connection ends in a retryable TRANSPORT error after maxAttempts", async () => {
      const closedPort = await freePort();
      const api = client({ baseUrl: `http://127.0.0.1:${closedPort}/api/v1`, maxAttempts: 3 });
      const error = await failure(api.chat({ botId: "bot-1", message: "hi" }));
      expect(error).toMatchObject({ code: "TRANSPORT", retryable: true });
      expect(error.message).toContain("ECONNREFUSED");
    });

    it("retrying stops when the next wait would pass maxRetryTimeMs", async () => {
      emulator.injectFaults(
        ...Array.from({ length: 5 }, () => ({ kind: "error", code: "INTERNAL_ERROR" }) as const),
      );
      const api = client({
        maxAttempts: 10,
        backoffBaseMs: 1_000,
        backoffMaxMs: 1_000,
        maxRetryTimeMs: 500,
        random: () => 0.9,
      });
      const error = await failure(api.chat({ botId: emulator.botId, message: "hi" }));
      expect(error.code).toBe("INTERNAL_ERROR");
      expect(chats()).toHaveLength(1);
    });

    it("a caller's abort stops the call without retries", async () => {
      emulator.injectFaults({ kind: "hang" });
      const controller = new AbortController();
      emulator.once("received", () => controller.abort(new Error("shutting down")));
      const outcome = client().chat({ botId: emulator.botId, message: "hi" }, { signal: controller.signal });
      await expect(outcome).rejects.toThrow("shutting down");
      expect(chats().filter((r) => r.status !== 0)).toHaveLength(0);
    });
  });

  describe("rate limits", () => {
    it("a 429 waits for the server's Retry-After, not the backoff, then the message is answered", async () => {
      emulator.injectFaults({ kind: "error", code: "RATE_LIMIT_EXCEEDED", retryAfterSeconds: 3 });
      const waits: number[] = [];
      const api = client({ sleep: async (ms) => void waits.push(ms) });
      const reply = await api.chat({ botId: emulator.botId, message: "hi", sessionId: "s" });
      expect(reply.response).toBe("[session s turn 1] hi");
      expect(waits).toEqual([3_000]);
      expect(chats().map((r) => r.status)).toEqual([429, 200]);
    });

    it("a 429 asking for longer than maxRetryTimeMs is thrown at once, retryable, with the wait", async () => {
      emulator.injectFaults({ kind: "error", code: "RATE_LIMIT_EXCEEDED", retryAfterSeconds: 30 });
      const error = await failure(
        client({ maxRetryTimeMs: 10_000 }).chat({ botId: emulator.botId, message: "hi" }),
      );
      expect(error).toMatchObject({ code: "RATE_LIMIT_EXCEEDED", retryable: true, status: 429 });
      expect(error.options.retryAfterMs).toBe(30_000);
      expect(chats()).toHaveLength(1);
    });

    it("every response's rate-limit headers are reported, errors included, with the API area", async () => {
      const seen: Array<[RateLimitInfo, string]> = [];
      const api = client({ onRateLimit: (info, area) => seen.push([info, area]) });
      await api.chat({ botId: emulator.botId, message: "hi" });
      await failure(api.chat({ botId: "no-such-bot", message: "hi" }));
      await api.findContactByExternalId("slack:T1:U1");
      expect(seen.map(([info, area]) => [area, info.limit, info.remaining])).toEqual([
        ["chat", 100, 99],
        ["chat", 100, 98],
        ["data", 1000, 999],
      ]);
      expect(seen[0]?.[0].resetAt).toBeGreaterThan(Date.now());
    });

    it("each retry passes through beforeRetry, so a budget can count it", async () => {
      emulator.injectFaults(
        { kind: "error", code: "INTERNAL_ERROR" },
        { kind: "error", code: "INTERNAL_ERROR" },
      );
      const gated: string[] = [];
      const api = client({ beforeRetry: async (area) => void gated.push(area) });
      await api.chat({ botId: emulator.botId, message: "hi" });
      expect(gated).toEqual(["chat", "chat"]);
    });
  });

  describe("contacts", () => {
    const input = { externalId: "slack:T1:U1", name: "Ada", source: "slack" };

    it("a new contact is created once, found by its external id, and updated", async () => {
      const api = client();
      expect(await api.findContactByExternalId(input.externalId)).toBeUndefined();
      const created = await api.createContact(input);
      expect(created).toMatchObject({ externalId: input.externalId, name: "Ada" });
      expect(await api.findContactByExternalId(input.externalId)).toMatchObject({ id: created.id });
      const updated = await api.updateContact(created.id, { name: "Ada L." });
      expect(updated).toMatchObject({ id: created.id, name: "Ada L." });
      expect(emulator.contacts()).toHaveLength(1);
    });

    it("creating a contact that exists fails with CONTACT_EXISTS, not retried", async () => {
      const api = client();
      await api.createContact(input);
      const error = await failure(api.createContact(input));
      expect(error).toMatchObject({ code: "CONTACT_EXISTS", status: 409, retryable: false });
      expect(emulator.requests.filter((r) => r.method === "POST")).toHaveLength(2);
    });

    it("updating an unknown contact fails with CONTACT_NOT_FOUND, not retried", async () => {
      const error = await failure(client().updateContact("ct_missing", { name: "x" }));
      expect(error).toMatchObject({ code: "CONTACT_NOT_FOUND", status: 404, retryable: false });
      expect(emulator.requests).toHaveLength(1);
    });
  });
});
