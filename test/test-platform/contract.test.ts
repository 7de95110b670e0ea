// A fourth platform costs one folder: the in-test adapter is a platform module of its own ("test"),
// given to the composition root next to the shipped ones, and the root builds it from its variable
// like any platform. The shared adapter suite runs against what the root built.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { createPlatformAdapters, loadConfig, PLATFORM_MODULES } from "../../src/app/index.js";
import { ConfigError } from "../../src/errors.js";
import { silentLogger } from "../../src/logger.js";
import { openStore } from "../../src/store/open-store.js";
import { type AdapterHarness, runAdapterContract } from "../support/adapter-contract.js";
import { waitForEvent } from "../support/events.js";
import { TestAdapter, testPlatform } from "../support/test-adapter.js";

const modules = [...PLATFORM_MODULES, testPlatform];
const env = { MYGPT_API_KEY: "key-1234567890", MYGPT_BOT_ID: "bot-1", STORE_URL: "memory://" };

async function harness(): Promise<AdapterHarness> {
  const cwd = mkdtempSync(join(tmpdir(), "test-platform-"));
  const config = loadConfig({
    cwd,
    dotenv: false,
    env: { ...env, TEST_PLATFORM_MAX_MESSAGE_LENGTH: "2000" },
    modules,
  });
  const store = await openStore("memory://");
  const [adapter] = await createPlatformAdapters(config, silentLogger(), store);
  if (!(adapter instanceof TestAdapter)) throw new Error("the root did not build the test platform");
  const say = async (text: string, more: { isDirect?: boolean; isBot?: boolean } = {}) => {
    await adapter.say({ channel: more.isDirect === false ? "C1" : "D1", text, ...more });
  };
  return {
    adapter,
    sendDirect: (text) => say(text),
    sendMention: (text) => say(text, { isDirect: false }),
    sendFromOtherBot: (text) => say(text, { isBot: true }),
    waitForBotMessage: async (needle) => {
      const [posted] = await adapter.waitForPosts(1, (p) => p.text.includes(needle));
      return { text: posted!.text, conversation: posted!.conversation };
    },
    waitForTyping: () =>
      adapter.typingShown > 0 ? Promise.resolve() : waitForEvent(adapter, "typing").then(() => {}),
    close: async () => {
      await store.close();
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

runAdapterContract("Test platform (a module of its own)", harness);

it("the test platform's settings are validated with the core's, and its id is a known platform", () => {
  const cwd = mkdtempSync(join(tmpdir(), "test-platform-"));
  try {
    const config = loadConfig({
      cwd,
      dotenv: false,
      env: { ...env, TEST_PLATFORM_MAX_MESSAGE_LENGTH: "2000" },
      modules,
    });
    expect(config.platforms).toEqual({ test: { maxMessageLength: 2000 } });
    const bad = () =>
      loadConfig({ cwd, dotenv: false, env: { ...env, TEST_PLATFORM_MAX_MESSAGE_LENGTH: "lots" }, modules });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/TEST_PLATFORM_MAX_MESSAGE_LENGTH/);
    const unknown = () =>
      loadConfig({ cwd, dotenv: false, env: { ...env, TEST_PLATFORM_MAX_MESSAGE_LENGTH: "2000" } });
    expect(unknown().platforms).toEqual({});
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
