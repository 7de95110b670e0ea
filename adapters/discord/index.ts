// Public entry of the Discord adapter: the factory the bridge wires in, and the invite URL helper.
import type { PlatformAdapter } from "../../src/adapter.js";
import { DiscordAdapter, type DiscordAdapterOptions } from "./adapter.js";

export type { DiscordAdapterOptions } from "./adapter.js";
export { BOT_PERMISSIONS, discordInviteUrl } from "./invite.js";

export function createDiscordAdapter(options: DiscordAdapterOptions): PlatformAdapter {
  return new DiscordAdapter(options);
}
