// Runs the one store contract (contract.ts) against the Redis store, on a real redis-server.
import { afterAll, beforeAll, describe } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { type RedisServer, skipWithoutRedis, startRedis } from "../support/redis.js";
import { storeContract } from "./contract.js";

describe.skipIf(skipWithoutRedis())("on a real redis-server", () => {
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
});
