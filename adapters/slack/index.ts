// The Slack platform adapter's public surface: the factory the bridge wires, and the helpers its
// tests and the README refer to.
export {
  createSlackAdapter,
  DEFAULT_RETRY_CONFIG,
  SLACK_MAX_MARKDOWN_CHUNK,
  SlackAdapter,
  type SlackAdapterOptions,
  type SlackOAuthOptions,
} from "./adapter.js";
export { KeyvInstallationStore } from "./installations.js";
export { PLACEHOLDER_TEXT, STATUS_TEXT } from "./progress.js";
export { markdownToMrkdwn } from "./render.js";
export { SLACK_BOT_EVENTS, SLACK_BOT_SCOPES, SLACK_SLASH_COMMANDS } from "./scopes.js";
export { checkSlackSignature } from "./signature.js";
