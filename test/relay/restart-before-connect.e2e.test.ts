// What a stopped process left in the store is answered after the platform it belongs to has
// connected: a bridge restarting with a backlog neither shows typing nor posts (nor fails to post)
// on a platform it is still connecting to.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Bridge } from "../../src/bridge.js";
import { startAssistantEmulator } from "../emulators/assistant/index.js";
import { parseReply, startTestBridge, type TestBridge } from "../support/bridge-harness.js";
import { captureLogs } from "../support/log-lines.js";
import { TestAdapter } from "../support/test-adapter.js";

describe("a restart with a stored backlog", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "restart-connect-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers the backlog once its platform has connected, and not before", async () => {
    const assistant = await startAssistantEmulator();
    const storeUrl = `sqlite://${join(dir, "bridge.sqlite")}`;
    const opened: TestBridge[] = [];
    try {
      // The first process answers one question; its budget (1 a minute) leaves two waiting when it stops.
      const first = new TestAdapter();
      const before = await startTestBridge({
        adapters: [first],
        assistant,
        env: { STORE_URL: storeUrl, MYGPT_CHAT_RATE: "1/60s" },
      });
      opened.push(before);
      for (const channel of ["a", "b", "c"]) await first.say({ channel, text: `question ${channel}` });
      await first.waitForPosts(1, (p) => p.text.startsWith("[session"));
      await before.stopBridge();
      const askedBefore = assistant.requests.filter((r) => r.kind === "chat").length;

      let connect!: () => void;
      const second = new TestAdapter();
      second.connecting = new Promise((resolve) => {
        connect = resolve;
      });
      const logs = captureLogs("info");
      const adopted = logs.whenLogged("answering messages a stopped process left unanswered");
      let relay!: Bridge["relay"];
      const starting = startTestBridge({
        adapters: [second],
        assistant,
        logger: logs.logger,
        env: { STORE_URL: storeUrl, MYGPT_CHAT_RATE: "100/60s" },
        created: (bridge) => {
          relay = bridge.relay;
        },
      });
      await adopted;
      await relay.whenIdle();
      expect(second.typingShown).toBe(0);
      expect(second.sendAttempts).toBe(0);

      connect();
      const after = await starting;
      opened.push(after);
      const answers = await second.waitForPosts(2, (p) => p.text.startsWith("[session"));
      await after.bridge.relay.whenIdle();
      const answered = [...first.posted, ...second.posted]
        .filter((p) => p.text.startsWith("[session"))
        .map((p) => parseReply(p.text).message)
        .sort();
      expect(answered).toEqual(["question a", "question b", "question c"]);
      expect(answers).toHaveLength(2);
      expect(second.sendAttempts).toBe(2);
      expect(assistant.requests.filter((r) => r.kind === "chat")).toHaveLength(askedBefore + 2);
      expect(logs.lines.filter((line) => (line.level as number) >= 40)).toEqual([]);
    } finally {
      for (const t of opened) await t.close();
      await assistant.close();
    }
  });
});
