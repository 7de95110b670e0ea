// `mygpt-bridge start`: runs every configured platform until SIGINT/SIGTERM, then drains and exits 0.
import { Bridge } from "../bridge.js";
import { enabledPlatforms, WHERE_TO_GET } from "../config/load.js";
import { createPlatformAdapters } from "../platforms.js";
import { loadConfigOrExplain } from "./load-config.js";

export async function runStart(): Promise<number> {
  const config = loadConfigOrExplain();
  if (!config) return 1;
  if (enabledPlatforms(config).length === 0) {
    process.stderr.write(
      [
        "No chat platform is configured, so there is nothing to bridge. Set at least one of:",
        `  TELEGRAM_BOT_TOKEN  ${WHERE_TO_GET.TELEGRAM_BOT_TOKEN}`,
        `  SLACK_BOT_TOKEN     ${WHERE_TO_GET.SLACK_BOT_TOKEN}`,
        `  DISCORD_BOT_TOKEN   ${WHERE_TO_GET.DISCORD_BOT_TOKEN}`,
        "To try the assistant without a platform, run `npx mygpt-bridge chat`.",
        "",
      ].join("\n"),
    );
    return 1;
  }
  const bridge = await Bridge.create({ config, makeAdapters: createPlatformAdapters });
  try {
    await bridge.start();
  } catch (error) {
    bridge.logger.fatal({ err: error }, "the bridge could not start");
    await bridge.stop().catch(() => {});
    return 1;
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  bridge.logger.info({ signal }, "stopping: no new messages; finishing what is in flight");
  await bridge.stop();
  bridge.logger.info("stopped");
  return 0;
}
