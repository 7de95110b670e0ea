// The commands the bot offers in Telegram's command menu. The same list decides which bare
// "/command" (no @botname) in a group counts as addressed to the bot: tapping a command in the menu
// sends the bare form.
export const BOT_COMMANDS = [
  { command: "start", description: "What this bot does" },
  { command: "help", description: "How to talk to the assistant" },
  { command: "reset", description: "Start a new conversation" },
] as const;

/** "/help" (any case) when it is one of the bot's own commands, else false. */
export function isOwnBareCommand(command: string): boolean {
  const name = command.toLowerCase();
  return BOT_COMMANDS.some((c) => name === `/${c.command}`);
}
