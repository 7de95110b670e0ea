// The MyGPTAssistants API emulator for tests and local runs: start it, point the bridge at its url.
export * from "./server.js";
export { signatureHeader } from "./webhooks.js";
