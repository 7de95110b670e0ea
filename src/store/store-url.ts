// Reads STORE_URL into the kind of store to open and where; a bad value is a ConfigError naming the fix.
import { ConfigError } from "../errors.js";
import type { StoreKind } from "./types.js";

export interface StoreLocation {
  kind: StoreKind;
  /** The file path for sqlite, the connection URL for redis, empty for memory. */
  location: string;
}

export function parseStoreUrl(url: string): StoreLocation {
  if (url === "memory://" || url === "memory") return { kind: "memory", location: "" };
  if (url.startsWith("sqlite://")) {
    const path = url.slice("sqlite://".length);
    if (!path) throw storeUrlError(url, "sqlite:// needs a file path, e.g. sqlite://./data/bridge.sqlite");
    return { kind: "sqlite", location: path };
  }
  if (url.startsWith("redis://") || url.startsWith("rediss://")) return { kind: "redis", location: url };
  throw storeUrlError(url, "use memory://, sqlite://PATH or redis://HOST:PORT");
}

/** The URL with any user:password part replaced, fit for logs and error messages. */
export function redactStoreUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}

export function storeUrlError(url: string, fix: string, problem?: string): ConfigError {
  const shown = redactStoreUrl(url);
  const why = problem ? ` (${problem})` : "";
  return new ConfigError(`STORE_URL "${shown}" is not a store the bridge can open${why}: ${fix}`, [
    { variable: "STORE_URL", problem: problem ?? `unsupported value "${shown}"`, fix },
  ]);
}
