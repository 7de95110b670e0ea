// What the relay does with a message before it costs anything: text that is empty once whitespace
// and invisible characters are gone is ignored, a bare mention of the bot ("@bot" and nothing else)
// gets the short help, and files the bridge cannot read earn a note.
import type { InboundMessage } from "../adapter.js";

/** Whitespace, zero-width and other invisible format characters (ZWSP, ZWJ, word joiner, BOM, soft hyphen…). */
const INVISIBLE = /[\s\p{Cf}]/gu;

export type Intake =
  /** Relay the text (and tell the user about the files, if any). */
  | { kind: "text"; filesNote: boolean }
  /** Nothing to read and no files: ignore. */
  | { kind: "empty" }
  /** Only the bot's mention: answer with the help, no assistant call. */
  | { kind: "bare-mention" }
  /** Only files: tell the user the bridge reads text only, no assistant call. */
  | { kind: "files-only" };

export function isBlank(text: string): boolean {
  return text.replace(INVISIBLE, "") === "";
}

export function classifyIntake(message: InboundMessage): Intake {
  const files = (message.files ?? 0) > 0;
  if (!isBlank(message.text)) return { kind: "text", filesNote: files };
  if (files) return { kind: "files-only" };
  if (message.addressesBot && !message.isDirect) return { kind: "bare-mention" };
  return { kind: "empty" };
}

/** The message as a "/help" command, which the relay answers in order without the assistant. */
export function asHelpRequest(message: InboundMessage): InboundMessage {
  return { ...message, text: "/help" };
}
