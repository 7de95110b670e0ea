// Loads config for a CLI command, printing configuration problems the way an operator can act on.
import { type BridgeConfig, loadConfig } from "../config/load.js";
import { ConfigError } from "../errors.js";

export function loadConfigOrExplain(): BridgeConfig | undefined {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return undefined;
    }
    throw error;
  }
}
