// Every text the bridge itself says to chat users, in one place: help, greeting, notices, apologies
// and the Slack adapter's own (placeholder, status, slash-command fallbacks), in English by default.
// Operators replace any of them in the config file, globally or per route (`texts:`), e.g. to give
// a German workspace German texts. Placeholders in braces are filled in: {max} (characters),
// {position} (place in line), {wait} ("about 2 minutes"), {messages} and {minutes} (the per-user
// quota).
import type { AssistantErrorCode } from "../errors.js";

export const DEFAULT_TEXTS = {
  help: [
    "I'm an AI assistant. Message me here and I'll answer; in a thread or DM I remember what we said.",
    "",
    "Commands:",
    "• /reset — forget this conversation and start fresh",
    "• /help — show this message",
  ].join("\n"),
  greeting:
    "Hi! I'm an AI assistant. Ask me anything, and I'll keep the context of our chat. Send /help for commands.",
  reset: "Started a new conversation. I've forgotten what we said before.",
  backlogFull:
    "I'm getting more messages than I can answer right now, so I couldn't take this one. Please send it again in a few minutes.",
  tooLong: "That message is too long for me: please keep it under {max} characters, or split it into parts.",
  longWait:
    "Lots of people are talking to me right now. You're number {position} in line; I'll answer in about {wait}.",
  filesNote: "I can only read text, so I didn't look at the attached files or images.",
  quotaReached:
    "You've sent me a lot of messages: I answer up to {messages} every {minutes} minutes per person. Please wait a little; I'll ignore new messages until then.",
  apologyMisconfigured:
    "Sorry, I can't reach my assistant because the bridge is misconfigured. The operator has been told.",
  apologyInvalidRequest: "Sorry, I couldn't process that message. Could you rephrase it?",
  apologyTimeout: "Sorry, the assistant took too long to answer. Please try again.",
  apologyUnavailable: "Sorry, the assistant is having trouble right now. Please try again in a moment.",
  thinking: "_Thinking…_",
  thinkingStatus: "is thinking…",
  commandNotReady: "The bridge is starting; try again in a moment.",
  commandFailed: "Sorry, that did not work. Please try again in a moment.",
} as const;

export type TextKey = keyof typeof DEFAULT_TEXTS;
export type Texts = Record<TextKey, string>;
export const TEXT_KEYS = Object.keys(DEFAULT_TEXTS) as TextKey[];

/** The texts of one route: the defaults with the operator's replacements over them. */
export class Replies {
  readonly texts: Texts;

  constructor(...overrides: Array<Partial<Texts> | undefined>) {
    this.texts = Object.assign({}, DEFAULT_TEXTS, ...overrides.filter(Boolean));
  }

  get help(): string {
    return this.texts.help;
  }
  get greeting(): string {
    return this.texts.greeting;
  }
  get reset(): string {
    return this.texts.reset;
  }
  get backlogFull(): string {
    return this.texts.backlogFull;
  }
  get filesNote(): string {
    return this.texts.filesNote;
  }
  tooLong(max: number): string {
    return fill(this.texts.tooLong, { max: max.toLocaleString("en") });
  }
  longWait(position: number, waitMs: number): string {
    return fill(this.texts.longWait, { position: String(position), wait: describeWait(waitMs) });
  }
  quotaReached(messages: number, windowMs: number): string {
    return fill(this.texts.quotaReached, {
      messages: String(messages),
      minutes: String(Math.max(1, Math.round(windowMs / 60_000))),
    });
  }

  /** A short, human apology per error class; never the raw error. */
  apology(code: AssistantErrorCode | "UNKNOWN"): string {
    switch (code) {
      case "INVALID_API_KEY":
      case "BOT_NOT_FOUND":
        return this.texts.apologyMisconfigured;
      case "INVALID_REQUEST":
        return this.texts.apologyInvalidRequest;
      case "TIMEOUT":
        return this.texts.apologyTimeout;
      default:
        return this.texts.apologyUnavailable;
    }
  }
}

/** The English defaults. */
export const REPLIES = new Replies();

export function apologyFor(code: AssistantErrorCode | "UNKNOWN"): string {
  return REPLIES.apology(code);
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

function describeWait(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds} seconds`;
  return `${Math.round(seconds / 60)} minutes`;
}
