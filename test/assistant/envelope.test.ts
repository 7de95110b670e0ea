// Classifying a failed response when the envelope's code is missing or unknown: the status decides,
// and what a status means depends on the API area (a 404 is a bot on chat, a contact on contacts).
import { describe, expect, it } from "vitest";
import { CHAT_STATUSES } from "../../src/assistant/chat.js";
import { CONTACT_STATUSES } from "../../src/assistant/contacts.js";
import { unwrapEnvelope } from "../../src/assistant/envelope.js";
import type { HttpResponse } from "../../src/assistant/http.js";
import type { AssistantError } from "../../src/errors.js";

function response(status: number, json: unknown): HttpResponse {
  return { status, headers: new Headers(), json, isJson: json !== undefined };
}

function classify(status: number, json: unknown, statuses = CHAT_STATUSES): AssistantError {
  try {
    unwrapEnvelope(response(status, json), "POST /bot/b", statuses, 2_000);
  } catch (error) {
    return error as AssistantError;
  }
  throw new Error("expected the response to be classified as an error");
}

const unknown = { success: false, data: null, error: { code: "SOMETHING_NEW", message: "?" } };

describe("classification when the code is unknown", () => {
  it.each([
    [429, CHAT_STATUSES, "RATE_LIMIT_EXCEEDED", true],
    [401, CHAT_STATUSES, "INVALID_API_KEY", false],
    [403, CHAT_STATUSES, "INVALID_API_KEY", false],
    [404, CHAT_STATUSES, "BOT_NOT_FOUND", false],
    [404, CONTACT_STATUSES, "CONTACT_NOT_FOUND", false],
    [409, CONTACT_STATUSES, "CONTACT_EXISTS", false],
    [422, CHAT_STATUSES, "INVALID_REQUEST", false],
    [503, CHAT_STATUSES, "INTERNAL_ERROR", true],
  ] as const)("HTTP %i → %s", (status, statuses, code, retryable) => {
    const error = classify(status, unknown, statuses);
    expect(error).toMatchObject({ code, retryable, status });
    expect(error.message).toContain("SOMETHING_NEW");
  });

  it("only a rate-limit error carries the server's wait", () => {
    expect(classify(429, unknown).options.retryAfterMs).toBe(2_000);
    expect(classify(503, unknown).options.retryAfterMs).toBeUndefined();
  });

  it("a body that is not an envelope is judged by its status", () => {
    expect(classify(500, { oops: true }).code).toBe("INTERNAL_ERROR");
    expect(classify(400, null).code).toBe("INVALID_REQUEST");
  });

  it("a 200 that says success: false is an error, not data", () => {
    expect(classify(200, unknown)).toMatchObject({ code: "INTERNAL_ERROR", status: 200 });
  });

  it("a success envelope gives its data", () => {
    const data = { response: "hi", conversationId: "c", messageId: "m" };
    expect(unwrapEnvelope(response(200, { success: true, data, error: null }), "x", CHAT_STATUSES)).toEqual(
      data,
    );
  });
});
