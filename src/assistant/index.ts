// The assistant client's public pieces.
export {
  type ApiArea,
  type AssistantClientOptions,
  type ClientLogger,
  createAssistantClient,
} from "./client.js";
export { parseRetryAfter, readRateLimit } from "./rate-limit-headers.js";
export { backoffMs } from "./retry.js";
export type * from "./types.js";
