// Express, loaded on first use. A bridge whose platforms mount no HTTP route (Telegram long polling,
// Discord, no MyGPT webhooks) serves its operator endpoints with node:http alone and never loads it:
// Express and its body parsers are about a tenth of an idle bridge's memory.
import { createRequire } from "node:module";

export type ExpressModule = typeof import("express");

export function loadExpress(): ExpressModule {
  return createRequire(import.meta.url)("express") as ExpressModule;
}
