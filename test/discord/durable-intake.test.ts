// Discord's gateway has no acknowledgement and never redelivers a message: the adapter keeps a
// message the store could not take and tries again for a bounded time, reporting not ready while
// anything waits, keeping each conversation's order.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../src/logger.js";
import { FlakySink } from "../support/flaky-sink.js";
import { type DiscordHarness, makeDiscordHarness } from "./harness.js";

let harness: DiscordHarness | undefined;

afterEach(async () => {
  await harness?.adapter.stop();
  await harness?.close();
  harness = undefined;
});

describe("Discord keeps a message the store could not take", () => {
  it("a Discord message the store could not take is retried and handed over once", async () => {
    harness = await makeDiscordHarness({ acceptRetry: { baseMs: 10, maxMs: 10_000 } });
    const sink = new FlakySink(2, "STORE_BUSY");
    await harness.adapter.start(sink);
    const sent = harness.emulator.userSaysInDm("kept through a busy store");
    const got = await sink.next((m) => m.messageId === sent.id);
    expect(got.text).toBe("kept through a busy store");
    expect(sink.refusals).toBe(2);
    expect(sink.messages.filter((m) => m.messageId === sent.id)).toHaveLength(1);
  });

  it("keeps a conversation's order while its first message is retried", async () => {
    harness = await makeDiscordHarness({ acceptRetry: { baseMs: 50, maxMs: 10_000 } });
    const sink = new FlakySink(1);
    await harness.adapter.start(sink);
    harness.emulator.userSaysInDm("first");
    await sink.refused();
    harness.emulator.userSaysInDm("second");
    await sink.next((m) => m.text === "second");
    expect(sink.messages.map((m) => m.text)).toEqual(["first", "second"]);
  });

  it("reports not ready while a message waits to be retried, and ready again after", async () => {
    harness = await makeDiscordHarness({ acceptRetry: { baseMs: 500, maxMs: 10_000 } });
    const sink = new FlakySink(1);
    await harness.adapter.start(sink);
    harness.emulator.userSaysInDm("wait for me");
    await sink.refused();
    await vi.waitFor(() => expect(harness?.adapter.isReady()).toBe(false));
    await sink.next((m) => m.text === "wait for me");
    await vi.waitFor(() => expect(harness?.adapter.isReady()).toBe(true));
  });

  it("gives a message up after the retry window, says so in the log, and is ready again", async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "info", destination: { write: (l: string) => lines.push(l) } });
    harness = await makeDiscordHarness({ logger, acceptRetry: { baseMs: 10, maxMs: 100 } });
    const sink = new FlakySink(1_000);
    await harness.adapter.start(sink);
    const sent = harness.emulator.userSaysInDm("lost after the window");
    await vi.waitFor(() => expect(lines.join("\n")).toContain("gave up"));
    expect(harness.adapter.isReady()).toBe(true);
    const log = lines.find((l) => l.includes("gave up")) ?? "";
    expect(log).toContain(sent.id);
    expect(log).not.toContain("lost after the window");
    expect(log).not.toContain(harness.emulator.token);
  });

  it("stop() gives a waiting message one last try before the link closes", async () => {
    harness = await makeDiscordHarness({ acceptRetry: { baseMs: 60_000, maxMs: 120_000 } });
    const sink = new FlakySink(1);
    await harness.adapter.start(sink);
    harness.emulator.userSaysInDm("taken at shutdown");
    await sink.refused();
    await harness.adapter.stop();
    expect(sink.messages.map((m) => m.text)).toEqual(["taken at shutdown"]);
  });
});
