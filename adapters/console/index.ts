// The console platform module: a terminal chat for `mygpt-bridge chat`. It is never started from the
// environment; the chat command builds it with the terminal's streams.
import { definePlatform } from "../../src/platform-module.js";
import { ConsoleAdapter, type ConsoleAdapterOptions } from "./adapter.js";

export const consolePlatform = definePlatform<ConsoleAdapterOptions>({
  id: "console",
  name: "Console",
  env: {},
  settings: () => undefined,
  createAdapter: async (settings) => new ConsoleAdapter(settings),
  /** One person at one terminal. */
  userScope: () => "local",
});

export { ConsoleAdapter, type ConsoleAdapterOptions } from "./adapter.js";
