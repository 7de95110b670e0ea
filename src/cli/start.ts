// `mygpt-bridge start`: runs every configured platform until SIGINT/SIGTERM, then drains and exits 0.
import { Bridge } from "../bridge.js";
import { createPlatformAdapters } from "../platforms.js";
import { loadConfigOrExplain } from "./load-config.js";

export async function runStart(): Promise<number> {
  const config = loadConfigOrExplain({ requirePlatform: true });
  if (!config) return 1;
  const bridge = await Bridge.create({ config, makeAdapters: createPlatformAdapters });
  // Listen for signals before starting: a platform may take long to connect, and a stop must still
  // be graceful then.
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  const failed = bridge.start().then(
    () => undefined,
    (error: unknown) => error,
  );
  const first = await Promise.race([signalled, failed.then((error) => ({ error }))]);
  if (typeof first === "object" && first.error !== undefined) {
    bridge.logger.fatal({ err: first.error }, "the bridge could not start");
    await bridge.stop().catch(() => {});
    return 1;
  }
  const signal = typeof first === "string" ? first : await signalled;
  bridge.logger.info({ signal }, "stopping: no new messages; finishing what is in flight");
  await bridge.stop();
  bridge.logger.info("stopped");
  return 0;
}
