// What the platform end-to-end tests share: the real adapters made from environment variables the
// way `mygpt-bridge start` makes them, and reading the assistant's answers off a platform emulator.
import type { EventEmitter } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import type { PlatformAdapter } from "../../src/adapter.js";
import { createPlatformAdapters, loadConfig } from "../../src/app/index.js";
import { silentLogger } from "../../src/logger.js";
import type { Store } from "../../src/store/types.js";
import type { AssistantEmulator, RecordedRequest } from "../emulators/assistant/index.js";
import { assistantEnv, parseReply } from "./bridge-harness.js";
import { waitForEvent } from "./events.js";

/** The adapters the composition root (src/app/) makes from this environment, against the assistant emulator. */
export async function adaptersFromEnv(
  assistant: AssistantEmulator,
  env: Record<string, string>,
  store: Store,
  logger: Logger = silentLogger(),
): Promise<PlatformAdapter[]> {
  const cwd = mkdtempSync(join(tmpdir(), "platform-e2e-"));
  try {
    const config = loadConfig({
      cwd,
      dotenv: false,
      env: { ...assistantEnv(assistant), ...env },
    });
    return await createPlatformAdapters(config, logger, store);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** A platform emulator's record of what the bot posted, emitted as "botMessage" events. */
export interface BotPosts<T extends { text: string }> extends EventEmitter {
  readonly sent: T[];
}

/** The bot post that matches: already posted, or the next one that does. */
export function botPost<T extends { text: string }>(
  emulator: BotPosts<T>,
  match: (m: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const seen = emulator.sent.find(match);
  if (seen) return Promise.resolve(seen);
  return waitForEvent<T>(emulator, "botMessage", match, timeoutMs);
}

/** Whether a post is the assistant emulator's answer to `question` (it echoes the question). */
export function isAnswerTo(post: { text: string }, question: string): boolean {
  return /^\[session \S+ turn \d+\] /.test(post.text) && parseReply(post.text).message === question;
}

/** The assistant's answer to `question` as the platform shows it, with its session and turn. */
export async function answerTo<T extends { text: string }>(emulator: BotPosts<T>, question: string) {
  const sent = await botPost(emulator, (m) => isAnswerTo(m, question));
  return { ...parseReply(sent.text), sent };
}

export function answersTo<T extends { text: string }>(emulator: BotPosts<T>, question: string): T[] {
  return emulator.sent.filter((m) => isAnswerTo(m, question));
}

export function chatRequests(assistant: AssistantEmulator): RecordedRequest[] {
  return assistant.requests.filter((r) => r.kind === "chat");
}

export function chatCalls(assistant: AssistantEmulator): number {
  return chatRequests(assistant).length;
}
