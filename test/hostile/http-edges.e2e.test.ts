// The bridge's HTTP edges under hostile input, through its real express server: errors answer with
// short JSON (no stack, no paths, no echo of the body), log one pino line and nothing on stderr;
// Telegram's secret is checked before the body is parsed; a signed MyGPT webhook needs no
// Content-Type; /metrics and /readyz can require a bearer token.
import { afterEach, describe, expect, it, vi } from "vitest";
import { startSlackBridge } from "../e2e/slack-helpers.js";
import { startTelegramBridge, TELEGRAM_WEBHOOK_SECRET } from "../e2e/telegram-helpers.js";
import { parseReply, startTestBridge, type TestBridge } from "../support/bridge-harness.js";
import { captureLogs } from "../support/log-lines.js";
import { TestAdapter } from "../support/test-adapter.js";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const close of closers.splice(0)) await close();
});

const METRICS_TOKEN = "metrics-token-0123456789abcdef";

/** With routes: the MyGPT webhook route is mounted, so Express serves. Without: node:http alone. */
async function bridge(env: Record<string, string> = {}, routes = true) {
  const logs = captureLogs();
  const adapter = new TestAdapter();
  const t: TestBridge = await startTestBridge({
    adapters: [adapter],
    http: true,
    env: { ...(routes && { MYGPT_WEBHOOK_SECRET: "whsec-edges" }), ...env },
    emulator: { webhookSecret: "whsec-edges" },
    logger: logs.logger,
  });
  closers.push(() => t.close());
  return { t, url: t.bridge.url as string, logs, adapter };
}

function expectQuietError(body: string, status: number, response: Response) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(body).not.toMatch(/ at |node_modules|\/work\/|<html|<pre|stack/i);
  expect(body.length).toBeLessThan(200);
}

function watchStderr() {
  const console = vi.spyOn(globalThis.console, "error");
  const stderr = vi.spyOn(process.stderr, "write");
  return () => {
    expect(console).not.toHaveBeenCalled();
    expect(stderr).not.toHaveBeenCalled();
  };
}

describe("HTTP edges answer errors quietly", () => {
  it("an oversized body on /webhooks/mygpt gets a short JSON 413, one log line without the body, nothing on stderr", async () => {
    const { url, logs } = await bridge();
    const quiet = watchStderr();
    const hostile = `{"x":"${"A".repeat(1_200_000)}SECRETBODY"}`;
    const response = await fetch(`${url}/webhooks/mygpt`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: hostile,
    });
    expectQuietError(await response.text(), 413, response);
    quiet();
    const lines = logs.lines.filter((l) => l.status === 413);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ path: "/webhooks/mygpt", method: "POST" });
    expect(logs.raw.join("")).not.toContain("SECRETBODY");
  });

  it("a correctly signed MyGPT webhook without a Content-Type is accepted", async () => {
    const { t, url, adapter } = await bridge();
    await adapter.say({ channel: "C1", thread: "t1", text: "I need a human" });
    const [reply] = await adapter.waitForPosts(1);
    const event = t.assistant.makeMessageEvent(parseReply(reply!.text).sessionId, "agent", "no type here");
    const sent = await t.assistant.sendWebhook(`${url}/webhooks/mygpt`, event, { contentType: null });
    expect(sent.status).toBe(202);
    await adapter.waitForPosts(1, (p) => p.text === "no type here");
  });

  it.each([
    ["with routes mounted", true],
    ["with only the operator endpoints", false],
  ])("an unknown path gets a JSON 404 (%s)", async (_, routes) => {
    const { url } = await bridge({}, routes);
    const response = await fetch(`${url}/nothing/here`);
    expectQuietError(await response.text(), 404, response);
    const wrongMethod = await fetch(`${url}/healthz`, { method: "POST" });
    expectQuietError(await wrongMethod.text(), 404, wrongMethod);
  });

  it.each([
    ["with routes mounted", true],
    ["with only the operator endpoints", false],
  ])("a failing readiness check gets a JSON 500 and one log line (%s)", async (_, routes) => {
    const { t, url, logs } = await bridge({}, routes);
    vi.spyOn(t.bridge, "readiness").mockRejectedValue(new Error("BROKEN at /work/secret/path"));
    const response = await fetch(`${url}/readyz`);
    expectQuietError(await response.text(), 500, response);
    expect(logs.lines.filter((l) => l.msg === "HTTP request failed")).toHaveLength(1);
  });

  it("an oversized Slack event gets a short JSON 413 and nothing on stderr", async () => {
    const b = await startSlackBridge("http");
    closers.push(() => b.close());
    const quiet = watchStderr();
    const response = await fetch(`${b.url}/slack/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"x":"${"A".repeat(1_200_000)}"}`,
    });
    expectQuietError(await response.text(), 413, response);
    quiet();
  });

  it("malformed JSON on /telegram/webhook is refused for a missing secret (401) before parsing, and gets a JSON 400 with it", async () => {
    const logs = captureLogs();
    const b = await startTelegramBridge("webhook", { logger: logs.logger });
    closers.push(() => b.close());
    const quiet = watchStderr();
    const body = '{"update_id": 1, "message": {BROKEN';
    const anonymous = await fetch(b.webhookUrl as string, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expectQuietError(await anonymous.text(), 401, anonymous);
    const signed = await fetch(b.webhookUrl as string, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-telegram-bot-api-secret-token": TELEGRAM_WEBHOOK_SECRET,
      },
      body,
    });
    expectQuietError(await signed.text(), 400, signed);
    quiet();
    expect(logs.lines.filter((l) => l.status === 400)).toHaveLength(1);
    expect(logs.raw.join("")).not.toContain("BROKEN");
  });
});

describe.each([
  ["with routes mounted", true],
  ["with only the operator endpoints", false],
])("/metrics and /readyz behind a bearer token (%s)", (_, routes) => {
  it("are open by default", async () => {
    const { url } = await bridge({}, routes);
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await metrics.text()).toContain("bridge_messages_in_total");
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true });
  });

  it("with METRICS_TOKEN set, answer 401 without the token and 200 with it; /healthz stays open", async () => {
    const { url } = await bridge({ METRICS_TOKEN }, routes);
    for (const path of ["/metrics", "/readyz"]) {
      const anonymous = await fetch(`${url}${path}`);
      expectQuietError(await anonymous.text(), 401, anonymous);
      const wrong = await fetch(`${url}${path}`, { headers: { authorization: "Bearer nope" } });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(right.status).toBe(200);
    }
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});
