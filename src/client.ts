// The `mygpt-bridge/client` entry point: the typed MyGPTAssistants API client on its own. It needs
// only `fetch` and web APIs, so it runs in Node 20+, Deno, Bun and browsers; nothing here (or in
// what it imports) may use a `node:` module, which test/package checks with a browser bundle.
export {
  type ApiArea,
  type AssistantClientOptions,
  type ClientLogger,
  createAssistantClient,
  parseRetryAfter,
  readRateLimit,
} from "./assistant/index.js";
export type * from "./assistant/types.js";
export { AssistantError, type AssistantErrorCode } from "./errors.js";
