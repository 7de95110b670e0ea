// The composition root: the one place the core meets the platform modules. The CLI, the library
// entry (src/index.ts) and the docs generator go through it; nothing else under src/ imports adapters/.
import type { Logger } from "pino";
import { ConsoleAdapter, type ConsoleAdapterOptions } from "../../adapters/console/index.js";
import type { PlatformAdapter } from "../adapter.js";
import { type BridgeConfig, type LoadOptions, loadConfigFor } from "../config/load.js";
import type { InviteOutput, PlatformModule } from "../platform-module.js";
import type { Store } from "../store/types.js";
import { PLATFORM_MODULES } from "./modules.js";

export { PLATFORM_MODULES } from "./modules.js";

export interface RootOptions {
  /** The platforms to know; default the shipped ones. A test or an embedding service may add its own. */
  modules?: readonly PlatformModule[];
}

/** The configuration, validated with the shipped platforms' settings (and any extra modules given). */
export function loadConfig(options: LoadOptions & RootOptions = {}): BridgeConfig {
  return loadConfigFor(options.modules ?? PLATFORM_MODULES, options);
}

/** An adapter for each platform whose settings are configured, in the modules' order. */
export async function createPlatformAdapters(
  config: BridgeConfig,
  logger: Logger,
  store: Store,
): Promise<PlatformAdapter[]> {
  const adapters: PlatformAdapter[] = [];
  for (const module of config.modules) {
    if (!(module.id in config.platforms)) continue;
    adapters.push(
      await module.createAdapter(config.platforms[module.id], {
        logger,
        store,
        leaseMs: config.processLeaseMs,
      }),
    );
  }
  return adapters;
}

/** What `mygpt-bridge invite` prints: each platform's part, from the raw environment. */
export async function inviteOutputs(
  env: NodeJS.ProcessEnv,
  shipped: (path: string) => string,
  modules: readonly PlatformModule[] = PLATFORM_MODULES,
): Promise<InviteOutput[]> {
  const outputs: InviteOutput[] = [];
  for (const module of modules) {
    if (!module.invite) continue;
    outputs.push(
      await module.invite(env, shipped).catch((error: unknown) => ({
        lines: [],
        failed: `${module.id}: ${(error as Error).message}`,
      })),
    );
  }
  return outputs;
}

/** The terminal chat of `mygpt-bridge chat`; emits "input-closed" when its input ends. */
export function terminalChatAdapter(options: ConsoleAdapterOptions): ConsoleAdapter {
  return new ConsoleAdapter(options);
}
