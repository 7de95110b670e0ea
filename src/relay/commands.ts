// Recognises the bridge's own commands in message text: /reset, /help, and Telegram's /start,
// including the "/command@botname" form Telegram uses in groups.
import type { CommandName } from "../adapter.js";

export type TextCommand = CommandName | "start";

export function parseCommand(text: string): TextCommand | undefined {
  const match = /^\/(reset|help|start)(@[A-Za-z0-9_]+)?(\s|$)/i.exec(text.trim());
  return match?.[1]?.toLowerCase() as TextCommand | undefined;
}
