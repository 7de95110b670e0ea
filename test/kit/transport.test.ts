// How a failed platform call is classified: which statuses are worth retrying, and the short reason
// a transport failure is reported with (no URL, no request details).
import { describe, expect, it } from "vitest";
import { isRetryableStatus, transportCode, transportReason } from "../../src/kit/transport.js";

describe("transport-error classification", () => {
  it("retries server errors, timeouts and rate limits, not refusals", () => {
    expect([500, 502, 503, 408, 429].map(isRetryableStatus)).toEqual([true, true, true, true, true]);
    expect([400, 401, 403, 404, 413].map(isRetryableStatus)).toEqual([false, false, false, false, false]);
  });

  it("names undici's hidden cause code instead of 'fetch failed', and never the URL", () => {
    const error = new TypeError("fetch failed", {
      cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }),
    });
    expect(transportCode(error)).toBe("ECONNREFUSED");
    expect(transportReason(error)).toBe("ECONNREFUSED");
    expect(transportReason(Object.assign(new Error("x"), { code: "ETIMEDOUT" }))).toBe("ETIMEDOUT");
  });

  it("falls back to the first line of the message", () => {
    expect(transportReason(new Error("socket hang up\n    at https://host/bot123/x"))).toBe("socket hang up");
    expect(transportReason("plain")).toBe("plain");
    expect(transportCode(new Error("no code"))).toBeUndefined();
  });
});
