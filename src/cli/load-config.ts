// Loads config for a CLI command, printing configuration problems the way an operator can act on.
import { loadConfig } from "../app/index.js";
import type { BridgeConfig, LoadOptions } from "../config/load.js";
import { ConfigError } from "../errors.js";

export function loadConfigOrExplain(options: LoadOptions = {}): BridgeConfig | undefined {
  try {
    return loadConfig(options);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return undefined;
    }
    throw error;
  }
}
