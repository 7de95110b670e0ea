// The API key never leaves the Authorization header: not in any error's message or stack, and not
// in any log line, whatever goes wrong.
import { afterEach, beforeEach, expect, it } from "vitest";
import { createAssistantClient } from "../../src/assistant/index.js";
import { createLogger } from "../../src/logger.js";
import { type AssistantEmulator, type Fault, startAssistantEmulator } from "../emulators/assistant/index.js";
import { freePort } from "../support/redis.js";

const SECRET = "sk-live-7f3a9c1e5b2d4f60";

let emulator: AssistantEmulator;
beforeEach(async () => {
  emulator = await startAssistantEmulator({ apiKeys: [SECRET] });
});
afterEach(() => emulator.close());

it("no error or log line, for any failure, contains the API key", async () => {
  const lines: string[] = [];
  // No `secrets` option: the logger's own scrubbing must not be what hides a leak.
  const logger = createLogger({
    level: "trace",
    destination: { write: (line: string) => void lines.push(line) },
  });
  const api = (overrides: { apiKey?: string; baseUrl?: string } = {}) =>
    createAssistantClient({
      baseUrl: emulator.url,
      apiKey: SECRET,
      logger,
      maxAttempts: 2,
      backoffBaseMs: 1,
      backoffMaxMs: 2,
      timeoutMs: 100,
      sleep: async () => {},
      ...overrides,
    });
  const faults: Fault[] = [
    { kind: "error", code: "INTERNAL_ERROR" },
    { kind: "error", code: "RATE_LIMIT_EXCEEDED" },
    { kind: "error", code: "INVALID_API_KEY" },
    { kind: "non-json" },
    { kind: "drop" },
    { kind: "hang" },
  ];
  const errors: unknown[] = [];
  const collect = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => errors.push(e),
    );
  for (const fault of faults) {
    emulator.injectFaults(fault, fault);
    await collect(api().chat({ botId: emulator.botId, message: "hi" }));
  }
  await collect(api().chat({ botId: "no-such-bot", message: "hi" }));
  await collect(api().chat({ botId: emulator.botId, message: "" }));
  await collect(api().updateContact("ct_missing", { name: "x" }));
  await collect(
    api({ baseUrl: `http://127.0.0.1:${await freePort()}/api/v1` }).chat({ botId: "b", message: "hi" }),
  );

  expect(errors).toHaveLength(faults.length + 4);
  expect(lines.length).toBeGreaterThan(faults.length);
  for (const error of errors) {
    const { message, stack } = error as Error;
    expect(message).not.toContain(SECRET);
    expect(stack ?? "").not.toContain(SECRET);
    expect(JSON.stringify(error)).not.toContain(SECRET);
  }
  for (const line of lines) expect(line).not.toContain(SECRET);
  // The key did reach the server, where it belongs.
  expect(emulator.requests.some((r) => r.apiKey === SECRET)).toBe(true);
});
