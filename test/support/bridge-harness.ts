// Runs a whole bridge in a test: the real relay, store, assistant client and budget against the
// assistant emulator, with the adapters a test gives it (an in-test adapter or a platform adapter
// wired to its emulator).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { afterEach } from "vitest";
import type { PlatformAdapter } from "../../src/adapter.js";
import { loadConfig, PLATFORM_MODULES } from "../../src/app/index.js";
import { Bridge } from "../../src/bridge.js";
import type { BridgeConfig } from "../../src/config/load.js";
import { silentLogger } from "../../src/logger.js";
import type { Store } from "../../src/store/types.js";
import {
  type AssistantEmulator,
  type AssistantEmulatorOptions,
  startAssistantEmulator,
} from "../emulators/assistant/index.js";
import { TestAdapter, testPlatform } from "./test-adapter.js";

export interface TestBridge {
  bridge: Bridge;
  assistant: AssistantEmulator;
  config: BridgeConfig;
  /** Stops the bridge (not the emulator): for restart tests. */
  stopBridge(): Promise<void>;
  close(): Promise<void>;
}

export interface TestBridgeOptions {
  adapters: PlatformAdapter[];
  env?: Record<string, string>;
  emulator?: AssistantEmulatorOptions;
  /** Reuse a running emulator (restart tests). */
  assistant?: AssistantEmulator;
  yaml?: string;
  logger?: Logger;
  http?: boolean;
  /** A store of the test's own (e.g. one that fails on cue) instead of the one STORE_URL opens. */
  store?: Store;
  /** Called with the bridge before it starts (start resolves only once every platform connected). */
  created?: (bridge: Bridge) => void;
}

export async function startTestBridge(options: TestBridgeOptions): Promise<TestBridge> {
  const assistant = options.assistant ?? (await startAssistantEmulator(options.emulator));
  const cwd = mkdtempSync(join(tmpdir(), "bridge-test-"));
  if (options.yaml) {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(cwd, "bridge.yaml"), options.yaml);
  }
  const config = loadConfig({
    cwd,
    dotenv: false,
    modules: [...PLATFORM_MODULES, testPlatform],
    env: {
      ...assistantEnv(assistant),
      PORT: "0",
      ...(options.yaml ? { CONFIG_FILE: "bridge.yaml" } : {}),
      ...options.env,
    },
  });
  const bridge = await Bridge.create({
    config,
    adapters: options.adapters,
    logger: options.logger ?? silentLogger(),
    ...(options.store && { store: options.store }),
  });
  options.created?.(bridge);
  await bridge.start({ http: options.http ?? false });
  let bridgeStopped = false;
  const stopBridge = async () => {
    if (bridgeStopped) return;
    bridgeStopped = true;
    await bridge.stop();
  };
  return {
    bridge,
    assistant,
    config,
    stopBridge,
    close: async () => {
      await stopBridge();
      if (!options.assistant) await assistant.close();
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

/**
 * For a describe block: a `start` that runs a bridge like startTestBridge and closes every bridge
 * it started after each test.
 */
export function bridgesClosedAfterEach(): (options: TestBridgeOptions) => Promise<TestBridge> {
  const open: TestBridge[] = [];
  afterEach(async () => {
    for (const t of open.splice(0)) await t.close();
  });
  return async (options) => {
    const t = await startTestBridge(options);
    open.push(t);
    return t;
  };
}

/** The environment that points a bridge at the assistant emulator, with an in-memory store. */
export function assistantEnv(assistant: AssistantEmulator): Record<string, string> {
  return {
    MYGPT_API_URL: assistant.url,
    MYGPT_API_KEY: assistant.apiKey,
    MYGPT_BOT_ID: assistant.botId,
    STORE_URL: "memory://",
    HOST: "127.0.0.1",
  };
}

/** Reads the emulator's deterministic reply: "[session <id> turn <n>] <message>". */
export function parseReply(text: string): { sessionId: string; turn: number; message: string } {
  const match = /^\[session (\S+) turn (\d+)\] ([\s\S]*)$/.exec(text);
  if (!match) throw new Error(`not an emulator reply: ${text}`);
  return { sessionId: match[1]!, turn: Number(match[2]), message: match[3]! };
}

/**
 * A bridge that takes MyGPT webhooks (secret "whsec-test", known to the emulator too), with one
 * conversation (channel C1, thread t1) the assistant has answered: what webhook tests start from.
 */
export async function startWebhookConversation(
  start: (options: TestBridgeOptions) => Promise<TestBridge>,
  options: Omit<TestBridgeOptions, "adapters" | "http" | "emulator"> = {},
): Promise<{ adapter: TestAdapter; t: TestBridge; sessionId: string; hook: string }> {
  const adapter = new TestAdapter();
  const t = await start({
    ...options,
    adapters: [adapter],
    http: true,
    env: { ...options.env, MYGPT_WEBHOOK_SECRET: "whsec-test" },
    emulator: { webhookSecret: "whsec-test" },
  });
  await adapter.say({ channel: "C1", thread: "t1", text: "I need a human" });
  const [reply] = await adapter.waitForPosts(1);
  return { adapter, t, sessionId: parseReply(reply!.text).sessionId, hook: `${t.bridge.url}/webhooks/mygpt` };
}
