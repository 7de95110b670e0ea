// Runs the one store contract (contract.ts) against the memory and SQLite stores; the Redis run is
// in layer-contract-redis.test.ts, so each file stays short.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { openStore } from "../../src/store/open-store.js";
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
