// What the bridge writes to its logs when input is personal or hostile: held-back answers are logged
// by size and ids, not content (unless LOG_LEVEL=debug), and secrets are scrubbed at any depth.
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { bridgesClosedAfterEach, startWebhookConversation } from "../support/bridge-harness.js";
import { captureLogs } from "../support/log-lines.js";

describe("held-back answers during a handoff", () => {
  const start = bridgesClosedAfterEach();

  async function heldAnswer(level: string) {
    const logs = captureLogs(level);
    const {
      adapter,
      t,
      sessionId,
      hook: url,
    } = await startWebhookConversation(start, {
      yaml: "handoff:\n  mode: stay-silent\n",
      logger: logs.logger,
    });
    await t.assistant.sendWebhook(url, t.assistant.makeMessageEvent(sessionId, "agent", "Agent here."));
    await adapter.waitForPosts(1, (p) => p.text === "Agent here.");
    await adapter.say({ channel: "C1", thread: "t1", text: "my card number is 4111 1111" });
    await t.bridge.relay.whenIdle();
    const held = logs.lines.find((l) => String(l.msg).includes("held back"));
    return { held, raw: logs.raw.join("") };
  }

  it("are logged with their length and ids, never their text, at info level", async () => {
    const { held, raw } = await heldAnswer("info");
    expect(held).toMatchObject({ sessionId: expect.any(String), chars: expect.any(Number) });
    expect(held?.chars).toBeGreaterThan(0);
    expect(raw).not.toContain("4111 1111");
  });

  it("carry the text with LOG_LEVEL=debug", async () => {
    const { held } = await heldAnswer("debug");
    expect(JSON.stringify(held)).toContain("4111 1111");
  });
});

describe("the logger's secret scrubbing", () => {
  it("scrubs a secret however deep it is nested", () => {
    const secret = "sk-live-0123456789abcdef";
    const lines: string[] = [];
    const logger = createLogger({
      secrets: [secret],
      pretty: false,
      destination: { write: (line: string) => void lines.push(line) },
    });
    let deep: Record<string, unknown> = { leaf: `Bearer ${secret}` };
    for (let i = 0; i < 12; i++) deep = { [`level${i}`]: deep, list: [`x ${secret}`] };
    const cause = new Error(`failed with ${secret}`);
    logger.info({ deep, err: new Error("outer", { cause }) }, "nested");
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(secret);
    expect(lines[0]).toContain("level0");
    expect(lines[0]).toContain("leaf");
  });

  it("censors fields named like secrets at any depth, even when their values were never handed in", () => {
    const lines: string[] = [];
    const logger = createLogger({
      pretty: false,
      destination: { write: (line: string) => void lines.push(line) },
    });
    let deep: Record<string, unknown> = {
      request: {
        headers: { "x-telegram-bot-api-secret-token": "header-secret-1", authorization: "Basic eA==" },
      },
      options: { botToken: "bot-token-value-2", clientSecret: "client-secret-3" },
    };
    for (let i = 0; i < 8; i++) deep = { [`level${i}`]: deep };
    logger.warn({ deep }, "deep fields");
    expect(lines[0]).not.toMatch(/header-secret-1|Basic eA==|bot-token-value-2|client-secret-3/);
    expect(lines[0]).toContain("x-telegram-bot-api-secret-token");
  });

  it("survives a cycle", () => {
    const lines: string[] = [];
    const logger = createLogger({
      secrets: ["a-secret-value"],
      pretty: false,
      destination: { write: (line: string) => void lines.push(line) },
    });
    const cyclic: Record<string, unknown> = { name: "a-secret-value" };
    cyclic.self = cyclic;
    logger.info({ cyclic }, "cycle");
    expect(lines[0]).not.toContain("a-secret-value");
  });
});
