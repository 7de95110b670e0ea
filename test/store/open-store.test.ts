// STORE_URL values: each opens its kind of store, and a bad one is a ConfigError naming the fix
// without echoing credentials.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { openStore } from "../../src/store/index.js";
import { type RedisServer, skipWithoutRedis, startRedis } from "../support/redis.js";

const dir = mkdtempSync(join(tmpdir(), "store-open-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("openStore", () => {
  it("opens memory:// and sqlite:// (creating the folder) as their kinds", async () => {
    const memory = await openStore("memory://");
    expect(memory.kind).toBe("memory");
    await memory.close();
    const sqlite = await openStore(`sqlite://${join(dir, "nested", "bridge.sqlite")}`);
    expect(sqlite.kind).toBe("sqlite");
    await sqlite.ping();
    await sqlite.close();
  });

  it.each([
    ["postgres://admin:hunter2@db/bridge", "use memory://, sqlite://PATH or redis://HOST:PORT"],
    ["sqlite://", "sqlite:// needs a file path"],
  ])("refuses STORE_URL %s with the fix", async (url, fix) => {
    const error = await openStore(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain("STORE_URL");
    expect((error as ConfigError).message).toContain(fix);
    expect((error as ConfigError).message).not.toContain("hunter2");
    expect((error as ConfigError).problems[0]?.variable).toBe("STORE_URL");
  });

  it.skipIf(skipWithoutRedis())(
    "opens memory:// and redis:// when the SQLite driver cannot load, and says how to fix sqlite://",
    async () => {
      const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
      const redis: RedisServer = await startRedis();
      try {
        const sqliteUrl = `sqlite://${join(dir, "unused.sqlite")}`;
        const { stdout } = await promisify(execFile)(process.execPath, [
          "--import",
          "tsx",
          "--import",
          fixture("no-sqlite-driver.mjs"),
          fixture("open-without-sqlite.ts"),
          "memory://",
          redis.url,
          sqliteUrl,
        ]);
        const outcomes = JSON.parse(stdout) as Record<string, Record<string, string>>;
        expect(outcomes["memory://"]).toEqual({ opened: "memory", read: "v" });
        expect(outcomes[redis.url]).toEqual({ opened: "redis", read: "v" });
        const failed = outcomes[sqliteUrl]!;
        expect(failed.error).toBe("ConfigError");
        expect(failed.message).toContain("STORE_URL");
        expect(failed.message).toContain("SQLite driver could not be loaded");
        expect(failed.message).toContain("use memory:// or redis://");
      } finally {
        await redis.stop();
      }
    },
  );
});
