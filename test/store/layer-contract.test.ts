// Runs the one store contract (contract.ts) against every store the bridge can open.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { type RedisServer, startRedis } from "../support/redis.js";
import { storeContract } from "./contract.js";

const dir = mkdtempSync(join(tmpdir(), "store-layer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeContract("memory", {
  fakeClock: true,
  open: (options) => openStore("memory://", options),
});

const sqliteUrl = `sqlite://${join(dir, "contract.sqlite")}`;
storeContract("sqlite", {
  fakeClock: true,
  open: (options) => openStore(sqliteUrl, options),
  url: () => sqliteUrl,
});

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());
storeContract("redis", {
  fakeClock: false,
  open: () => openStore(redis.url),
  url: () => redis.url,
});
