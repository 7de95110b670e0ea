// The library entry point (`import { createBridge } from "mygpt-bridge"`): for services that embed the
// bridge instead of running the `mygpt-bridge` command. Configuration is read and validated exactly as
// the command does; the types of the adapter, store and client interfaces come with it.
import type { Logger } from "pino";
import type { PlatformAdapter } from "./adapter.js";
import { createPlatformAdapters, loadConfig } from "./app/index.js";
import { Bridge } from "./bridge.js";
import type { PlatformModule } from "./platform-module.js";
import type { Store } from "./store/types.js";

export interface CreateBridgeOptions {
  /** Settings by their environment variable names (MYGPT_API_KEY, TELEGRAM_BOT_TOKEN, …); default process.env. */
  env?: Record<string, string | undefined>;
  /** Folder where a .env file and the relative CONFIG_FILE are looked up; default process.cwd(). */
  cwd?: string;
  /** Read a .env file from `cwd` (default false: an embedding service owns its environment). */
  dotenv?: boolean;
  /** Run these adapters instead of the platforms configured by tokens (e.g. your own PlatformAdapter). */
  adapters?: PlatformAdapter[];
  /** An already opened store instead of the one STORE_URL names. */
  store?: Store;
  /** Your pino logger; by default the bridge makes its own with secrets redacted. */
  logger?: Logger;
  /** The platforms to know (default the shipped ones, see PLATFORM_MODULES): add your own module here. */
  modules?: readonly PlatformModule[];
}

/**
 * Validates the configuration (throws ConfigError naming each problem) and assembles a bridge.
 * Call `start()` to connect and serve HTTP (or `start({ http: false })` to mount `bridge.app` yourself),
 * and `stop()` to drain and close.
 */
export async function createBridge(options: CreateBridgeOptions = {}): Promise<Bridge> {
  const config = loadConfig({
    env: options.env as NodeJS.ProcessEnv | undefined,
    cwd: options.cwd,
    dotenv: options.dotenv ?? false,
    modules: options.modules,
  });
  return Bridge.create({
    config,
    logger: options.logger,
    store: options.store,
    adapters: options.adapters,
    makeAdapters: createPlatformAdapters,
  });
}

export type * from "./adapter.js";
export { PLATFORM_MODULES } from "./app/index.js";
export type { ApiArea, AssistantClientOptions, ClientLogger } from "./assistant/index.js";
export type * from "./assistant/types.js";
export { Bridge, type BridgeOptions } from "./bridge.js";
export type { BridgeConfig } from "./config/load.js";
export { AssistantError, BridgeError, ConfigError, DeliveryError, StoreError } from "./errors.js";
export {
  type ConfigProblem,
  definePlatform,
  type EnvVariable,
  type InviteOutput,
  type PlatformModule,
  type PlatformServices,
} from "./platform-module.js";
export { openStore } from "./store/open-store.js";
export type { QueueItem, Store, StoreKind, WriteOp } from "./store/types.js";
