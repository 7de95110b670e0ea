// Recognises the bridge's own commands in message text: /reset, /help, and /start. A platform with
// its own command form (e.g. "/help@bot") teaches it here through its module's commandSyntax.
import type { CommandName } from "../adapter.js";

export type TextCommand = CommandName | "start";

const syntaxes = new Set<(text: string) => string>();

/** Adds a platform's rewrite of its command form to plain "/command" (the bridge adds its modules'). */
export function addCommandSyntax(normalise: (text: string) => string): void {
  syntaxes.add(normalise);
}

export function parseCommand(text: string): TextCommand | undefined {
  let plain = text.trim();
  for (const normalise of syntaxes) plain = normalise(plain);
  const match = /^\/(reset|help|start)(\s|$)/i.exec(plain);
  return match?.[1]?.toLowerCase() as TextCommand | undefined;
}
