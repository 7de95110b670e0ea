// Every text the bridge itself says to chat users, in one place: help, greetings, notices, apologies.
import type { AssistantErrorCode } from "../errors.js";

export const REPLIES = {
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
  tooLong: (max: number) =>
    `That message is too long for me: please keep it under ${max.toLocaleString("en")} characters, or split it into parts.`,
  longWait: (position: number, waitMs: number) =>
    `Lots of people are talking to me right now. You're number ${position} in line; I'll answer in about ${describeWait(waitMs)}.`,
} as const;

/** A short, human apology per error class; never the raw error. */
export function apologyFor(code: AssistantErrorCode | "UNKNOWN"): string {
  switch (code) {
    case "INVALID_API_KEY":
    case "BOT_NOT_FOUND":
      return "Sorry, I can't reach my assistant because the bridge is misconfigured. The operator has been told.";
    case "INVALID_REQUEST":
      return "Sorry, I couldn't process that message. Could you rephrase it?";
    case "TIMEOUT":
      return "Sorry, the assistant took too long to answer. Please try again.";
    default:
      return "Sorry, the assistant is having trouble right now. Please try again in a moment.";
  }
}

function describeWait(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds} seconds`;
  return `${Math.round(seconds / 60)} minutes`;
}
