// `mygpt-bridge invite`: the Discord invite URL and where the Slack app manifest is. It reads only
// what it uses (DISCORD_BOT_TOKEN, DISCORD_API_URL), and names the manifest inside the installed package.

import { readDotenv } from "../config/load.js";
import { envSchema } from "../config/schema.js";
import { discordApplicationInvite } from "../platforms.js";
import { shippedFile } from "./package-root.js";

export async function runInvite(): Promise<number> {
  const parsed = envSchema
    .pick({ DISCORD_BOT_TOKEN: true, DISCORD_API_URL: true })
    .safeParse({ ...readDotenv(process.cwd()), ...process.env });
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      process.stderr.write(`${String(issue.path[0])}: ${issue.message}\n`);
    return 1;
  }
  const { DISCORD_BOT_TOKEN: token, DISCORD_API_URL: apiUrl } = parsed.data;
  process.stdout.write(
    `Slack: create the app from the manifest ${shippedFile("config/slack-manifest.yaml")}\n`,
  );
  process.stdout.write(
    "       (api.slack.com/apps → Create New App → From an app manifest), then install it.\n",
  );
  if (!token) {
    process.stdout.write("Discord: set DISCORD_BOT_TOKEN to print the invite URL for your application.\n");
    return 0;
  }
  try {
    const url = await discordApplicationInvite({ token, apiUrl: apiUrl.replace(/\/+$/, "") });
    process.stdout.write(`Discord: invite the bot with ${url}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(
      `Discord: could not read the application id with DISCORD_BOT_TOKEN: ${(error as Error).message}\n`,
    );
    return 1;
  }
}
