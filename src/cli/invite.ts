// `mygpt-bridge invite`: the Discord invite URL and where the Slack app manifest is.
import { resolve } from "node:path";
import { discordApplicationInvite } from "../platforms.js";
import { loadConfigOrExplain } from "./load-config.js";

export async function runInvite(): Promise<number> {
  const config = loadConfigOrExplain();
  if (!config) return 1;
  process.stdout.write(`Slack: create the app from the manifest ${resolve("config/slack-manifest.yaml")}\n`);
  process.stdout.write(
    "       (api.slack.com/apps → Create New App → From an app manifest), then install it.\n",
  );
  if (!config.discord) {
    process.stdout.write("Discord: set DISCORD_BOT_TOKEN to print the invite URL for your application.\n");
    return 0;
  }
  try {
    process.stdout.write(`Discord: invite the bot with ${await discordApplicationInvite(config.discord)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(
      `Discord: could not read the application id with DISCORD_BOT_TOKEN: ${(error as Error).message}\n`,
    );
    return 1;
  }
}
