// Opens the bridge's key-value store from STORE_URL: memory://, sqlite://PATH or redis(s)://.
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import KeyvRedis from "@keyv/redis";
import KeyvSqlite from "@keyv/sqlite";
import Keyv from "keyv";
import { ConfigError } from "../errors.js";

export type StoreKind = "memory" | "sqlite" | "redis";

export interface BridgeStore {
  kind: StoreKind;
  /** Opens a namespaced view; every module keeps its keys under its own namespace. */
  namespace<T = unknown>(name: string): Keyv<T>;
  /** The Redis connection URL when kind is "redis" (for atomic operations Keyv cannot express). */
  redisUrl?: string;
  /** Checks the store answers (for /readyz and doctor). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function parseStoreUrl(url: string): { kind: StoreKind; location: string } {
  if (url === "memory://" || url === "memory") return { kind: "memory", location: "" };
  if (url.startsWith("sqlite://")) {
    const path = url.slice("sqlite://".length);
    if (!path) throw storeUrlError(url, "sqlite:// needs a file path, e.g. sqlite://./data/bridge.sqlite");
    return { kind: "sqlite", location: path };
  }
  if (url.startsWith("redis://") || url.startsWith("rediss://")) return { kind: "redis", location: url };
  throw storeUrlError(url, "use memory://, sqlite://PATH or redis://HOST:PORT");
}

function storeUrlError(url: string, fix: string): ConfigError {
  const shown = url.replace(/\/\/[^@/]*@/, "//***@");
  return new ConfigError(`STORE_URL "${shown}" is not a store the bridge can open: ${fix}`, [
    { variable: "STORE_URL", problem: `unsupported value "${shown}"`, fix },
  ]);
}

export async function createStore(url: string): Promise<BridgeStore> {
  const { kind, location } = parseStoreUrl(url);
  const opened: Keyv[] = [];
  const track = <T>(k: Keyv<T>): Keyv<T> => {
    opened.push(k as Keyv);
    return k;
  };

  if (kind === "memory") {
    const shared = new Map();
    return {
      kind,
      namespace: <T>(name: string) => track(new Keyv<T>({ store: shared, namespace: name })),
      ping: async () => {},
      close: async () => {},
    };
  }

  if (kind === "sqlite") {
    const file = resolve(location);
    mkdirSync(dirname(file), { recursive: true });
    const adapter = new KeyvSqlite({ uri: `sqlite://${file}`, table: "bridge", busyTimeout: 5000 });
    // WAL with synchronous=NORMAL: every write survives a crash of the process (what restarts need)
    // without an fsync per write, which costs ~15 ms each on a busy disk.
    await adapter.query("PRAGMA journal_mode=WAL");
    await adapter.query("PRAGMA synchronous=NORMAL");
    const probe = track(new Keyv({ store: adapter, namespace: "ping" }));
    await probe.set("ping", 1);
    return {
      kind,
      namespace: <T>(name: string) => track(new Keyv<T>({ store: adapter, namespace: name })),
      ping: async () => {
        await probe.get("ping");
      },
      close: async () => {
        await adapter.disconnect();
      },
    };
  }

  const adapter = new KeyvRedis(location, { throwOnConnectError: true, throwOnErrors: true });
  const probe = track(new Keyv({ store: adapter, namespace: "ping" }));
  await probe.set("ping", 1);
  return {
    kind,
    redisUrl: location,
    namespace: <T>(name: string) => track(new Keyv<T>({ store: adapter, namespace: name })),
    ping: async () => {
      await probe.get("ping");
    },
    close: async () => {
      await adapter.disconnect();
    },
  };
}
