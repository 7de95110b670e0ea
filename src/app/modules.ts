// The platforms this bridge ships, in the order their settings appear in docs/configuration.md and
// in the "no platform configured" hint. The only list of platforms: a new one is a folder under
// adapters/ and a line here.
import { consolePlatform } from "../../adapters/console/index.js";
import { discordPlatform } from "../../adapters/discord/index.js";
import { slackPlatform } from "../../adapters/slack/index.js";
import { telegramPlatform } from "../../adapters/telegram/index.js";
import type { PlatformModule } from "../platform-module.js";

export const PLATFORM_MODULES: readonly PlatformModule[] = [
  telegramPlatform,
  slackPlatform,
  discordPlatform,
  consolePlatform,
];
