// A contact backlog that will take hours to drain is reported where operators look: /readyz names it
// as a warning (and stays 200: replies are not affected, so the bridge stays in its load balancer),
// and `mygpt-bridge doctor`, run as the real command against the same store, prints a line with the
// number waiting and the ETA without failing.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ReadinessReport } from "../../src/http/operator.js";
import { TelegramEmulator } from "../emulators/telegram/emulator.js";
import { bridgesClosedAfterEach } from "../support/bridge-harness.js";
import { finished } from "../support/process-output.js";
import { TestAdapter } from "../support/test-adapter.js";

const BIN = resolve("src/cli/bin.mjs");
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("contact backlog reporting", () => {
  const start = bridgesClosedAfterEach();

  it("/readyz stays ready and warns with the backlog size and ETA once it passes the threshold", async () => {
    const adapter = new TestAdapter();
    const t = await start({ adapters: [adapter], http: true, env: { MYGPT_DATA_RATE: "1/3600s" } });
    const before = (await (await fetch(`${t.bridge.url}/readyz`)).json()) as ReadinessReport;
    expect(before.warnings).toBeUndefined();
    for (let i = 0; i < 8; i++) await adapter.say({ channel: `D${i}`, user: `U${i}`, text: `hello ${i}` });
    await t.bridge.contacts.settled();
    const response = await fetch(`${t.bridge.url}/readyz`);
    expect(response.status).toBe(200);
    const report = (await response.json()) as ReadinessReport;
    expect(report.ready).toBe(true);
    const warning = report.warnings?.contactBacklog;
    expect(warning?.waiting).toBeGreaterThanOrEqual(7);
    expect(warning?.etaMinutes).toBeGreaterThan(60);
    expect(warning?.detail).toMatch(/users waiting, about \d+ hours to sync under MYGPT_DATA_RATE/);
  });

  it("doctor prints the stored backlog with its ETA as a warning, and still passes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "backlog-doctor-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const storeUrl = `sqlite://${join(dir, "bridge.sqlite")}`;
    const adapter = new TestAdapter();
    const t = await start({
      adapters: [adapter],
      env: { MYGPT_DATA_RATE: "1/3600s", STORE_URL: storeUrl },
    });
    for (let i = 0; i < 8; i++) await adapter.say({ channel: `D${i}`, user: `U${i}`, text: `hello ${i}` });
    await t.bridge.contacts.settled();
    await t.stopBridge();

    const telegram = new TelegramEmulator();
    const telegramRoot = await telegram.start();
    cleanups.push(() => telegram.close());
    const child = spawn(process.execPath, [BIN, "doctor"], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: dir,
        LOG_LEVEL: "warn",
        MYGPT_API_URL: t.assistant.url,
        MYGPT_API_KEY: t.assistant.apiKey,
        MYGPT_BOT_ID: t.assistant.botId,
        MYGPT_DATA_RATE: "1/3600s",
        STORE_URL: storeUrl,
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegramRoot,
        PORT: "0",
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    child.stdin.end();
    const run = await finished(child);
    const line = run.stdout.split("\n").find((l) => l.includes("contact backlog"));
    expect(line).toMatch(
      /^! contact backlog: \d users waiting, about \d+ hours to sync under MYGPT_DATA_RATE/,
    );
    expect(run.stdout).toContain("fix: raise MYGPT_DATA_RATE");
    expect(run.code).toBe(0);
  });

  it("doctor says nothing about contacts when no contact is waiting", async () => {
    const dir = mkdtempSync(join(tmpdir(), "backlog-doctor-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const adapter = new TestAdapter();
    const t = await start({ adapters: [adapter] });
    const child = spawn(process.execPath, [BIN, "doctor"], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: dir,
        LOG_LEVEL: "warn",
        MYGPT_API_URL: t.assistant.url,
        MYGPT_API_KEY: t.assistant.apiKey,
        MYGPT_BOT_ID: t.assistant.botId,
        STORE_URL: `sqlite://${join(dir, "bridge.sqlite")}`,
        PORT: "0",
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    child.stdin.end();
    const run = await finished(child);
    expect(run.stdout).toMatch(/✓ store/);
    expect(run.stdout).not.toContain("contact backlog");
  });
});
