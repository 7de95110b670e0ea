// What the Slack app asks for: the bot scopes and event subscriptions the adapter relies on. The
// app manifest (config/slack-manifest.yaml) and the OAuth install URL use exactly these; a test
// keeps the manifest in step.
export const SLACK_BOT_SCOPES = [
  "app_mentions:read",
  "assistant:write",
  "channels:history",
  "chat:write",
  "commands",
  "groups:history",
  "im:history",
  "im:read",
  "im:write",
  "users:read",
  "users:read.email",
] as const;

export const SLACK_BOT_EVENTS = [
  "app_mention",
  "app_uninstalled",
  "message.channels",
  "message.groups",
  "message.im",
  "tokens_revoked",
] as const;

export const SLACK_SLASH_COMMANDS = [
  { command: "/reset", description: "Start a new conversation with the assistant", name: "reset" },
  { command: "/help", description: "What the assistant bot does", name: "help" },
] as const;
