// The texts the Slack adapter shows by itself (the "Thinking…" placeholder and the slash-command
// fallbacks) follow the route's texts like every other text, through the real Bolt adapter, the
// bridge and the Slack emulator.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { InboundSink, PlatformAdapter } from "../../src/adapter.js";
import { StoreError } from "../../src/errors.js";
import { answerTo, type SlackBridge, shown, startSlackBridge } from "../e2e/slack-helpers.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The emulator's first workspace is always T0001. */
const GERMAN_WORKSPACE_YAML = [
  "routes:",
  "  - platform: slack",
  "    workspace: T0001",
  "    botId: bot-1",
  "    texts:",
  '      thinking: "_Denke nach…_"',
  '      commandFailed: "Das hat nicht geklappt. Bitte gleich noch einmal versuchen."',
  '      reset: "Neues Gespräch begonnen."',
].join("\n");

function configFile(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), "slack-texts-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "bridge.yaml");
  writeFileSync(path, yaml);
  return path;
}

/** The relay behind the adapter cannot run commands (its store is unreachable); all else is real. */
function commandsFail(adapter: PlatformAdapter): PlatformAdapter {
  const failing = (sink: InboundSink): InboundSink =>
    new Proxy(sink, {
      get(target, prop) {
        if (prop === "command")
          return async () => {
            throw new StoreError("STORE_UNAVAILABLE", "the store cannot be reached");
          };
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return new Proxy(adapter, {
    get(target, prop) {
      if (prop === "start") return (sink: InboundSink) => target.start(failing(sink));
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function germanBridge(
  options: { failCommands?: boolean; mode?: "socket" | "http" } = {},
): Promise<SlackBridge> {
  const b = await startSlackBridge(options.mode ?? "socket", {
    env: { CONFIG_FILE: configFile(GERMAN_WORKSPACE_YAML) },
    ...(options.failCommands && { wrapAdapter: commandsFail }),
  });
  cleanups.push(() => b.close());
  expect(b.slack.workspace.id).toBe("T0001");
  return b;
}

describe("Slack texts per route", () => {
  it("a German workspace sees a German placeholder while the assistant works, replaced by the answer", async () => {
    const b = await germanBridge();
    await b.slack.userSays(b.user, b.channel, `${b.slack.mention()} Wie spät ist es?`);
    const placeholder = await shown(b.slack, (m) => m.method === "chat.postMessage" && m.text.includes("…"));
    expect(placeholder.text).toBe("_Denke nach…_");
    const answer = await answerTo(b.slack, "Wie spät ist es?");
    expect(answer.sent.method).toBe("chat.update");
    expect(b.slack.sent.some((m) => m.text.includes("Thinking"))).toBe(false);
  });

  it.each(["socket", "http"] as const)(
    "a German workspace gets its own texts from slash commands, and the German fallback when one fails (%s)",
    async (mode) => {
      const ok = await germanBridge({ mode });
      const reset = await ok.slack.slashCommand(ok.user, ok.dm, "/reset");
      expect(reset.response.text).toBe("Neues Gespräch begonnen.");

      const failing = await germanBridge({ mode, failCommands: true });
      const failed = await failing.slack.slashCommand(failing.user, failing.dm, "/reset");
      expect(failed.response.text).toBe("Das hat nicht geklappt. Bitte gleich noch einmal versuchen.");
    },
  );

  it("without route texts the placeholder and the fallback stay English", async () => {
    const b = await startSlackBridge("socket", { wrapAdapter: commandsFail });
    cleanups.push(() => b.close());
    await b.slack.userSays(b.user, b.channel, `${b.slack.mention()} what time is it?`);
    await shown(b.slack, (m) => m.text === "_Thinking…_");
    const failed = await b.slack.slashCommand(b.user, b.dm, "/reset");
    expect(failed.response.text).toBe("Sorry, that did not work. Please try again in a moment.");
  });
});
