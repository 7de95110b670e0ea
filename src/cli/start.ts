// `mygpt-bridge start`: runs every configured platform until SIGINT/SIGTERM, then drains and exits 0.
// The drain has a deadline (SHUTDOWN_TIMEOUT_MS, below Docker's 10 s grace period): past it the process
// exits anyway, and messages not yet answered stay pending in the store for the next start.

import { createPlatformAdapters } from "../app/index.js";
import { Bridge } from "../bridge.js";
import { releaseYoungGeneration } from "./heap.js";
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
  // Started (or failed): from here the workload, not start-up, sizes the heap.
  void failed.finally(releaseYoungGeneration);
  const first = await Promise.race([signalled, failed.then((error) => ({ error }))]);
  if (typeof first === "object" && first.error !== undefined) {
    bridge.logger.fatal({ err: first.error }, "the bridge could not start");
    await bridge.stop().catch(() => {});
    return 1;
  }
  const signal = typeof first === "string" ? first : await signalled;
  bridge.logger.info(
    { signal, deadlineMs: config.shutdownTimeoutMs },
    "stopping: no new messages; finishing what is in flight",
  );
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"deadline">((resolve) => {
    timer = setTimeout(() => resolve("deadline"), config.shutdownTimeoutMs);
  });
  const outcome = await Promise.race([bridge.stop().then(() => "stopped" as const), deadline]);
  clearTimeout(timer);
  if (outcome === "deadline") {
    bridge.logger.warn(
      { deadlineMs: config.shutdownTimeoutMs },
      "shutdown deadline reached: exiting; unanswered messages stay pending for the next start",
    );
  } else {
    bridge.logger.info("stopped");
  }
  return 0;
}
