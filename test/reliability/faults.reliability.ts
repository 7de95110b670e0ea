// The fault-injection suite: the bridge as a real process under kill -9, a locked SQLite file, a
// Redis restart and failing store writes, while messages stream in over Telegram and Slack. Each
// scenario adds rows to one table (sent, answered, duplicated, lost, out-of-order per platform).
// RELIABILITY_SEED replays the random moments; RELIABILITY_RESULTS=<file> writes the rows as JSON;
// RELIABILITY_ONLY=baseline,kill,... runs some scenarios; RELIABILITY_LOG_DIR keeps the bridge logs.
import { afterAll, describe, expect, test } from "vitest";
import {
  type FaultContext,
  logDir,
  type Row,
  runScenario,
  type Scenario,
  spawnNode,
  untilTime,
} from "./harness.js";
import { renderTable, writeResults } from "./table.js";

const SEED = Number(process.env.RELIABILITY_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ONLY = process.env.RELIABILITY_ONLY?.split(",").map((s) => s.trim());
const KILLS = Number(process.env.RELIABILITY_KILLS ?? 20);
const MESSAGES = Number(process.env.RELIABILITY_MESSAGES ?? 200);
const LOGS = logDir();
const rows: Row[] = [];

const BASE = {
  platforms: ["telegram", "slack"],
  messages: MESSAGES,
  conversations: 10,
  seed: SEED,
  drainTimeoutMs: 45_000,
} as const satisfies Partial<Scenario>;

/** kill -9 at random moments: each a random time after the restarted bridge is ready again. */
async function killRepeatedly(ctx: FaultContext): Promise<string> {
  let kills = 0;
  let duringStartup = 0;
  let ready = true;
  const track = () => {
    ready = false;
    ctx.bridge.ready(60_000).then(
      () => {
        ready = true;
      },
      () => {},
    );
  };
  const meanGapMs = Math.max(200, ctx.sendMs / KILLS / 2);
  while (kills < KILLS) {
    // Half the moments fall while the bridge is busy serving, the other half anywhere, startup included.
    if (ctx.random() < 0.5) await ctx.bridge.ready(60_000).catch(() => {});
    await untilTime(Date.now() + ctx.random() * 2 * meanGapMs);
    if (!ready) duringStartup += 1;
    ctx.noteKill();
    await ctx.bridge.kill9();
    kills += 1;
    ctx.restartAfterKill();
    track();
  }
  await ctx.bridge.ready(60_000);
  return `${kills} kills (${duringStartup} before the restarted bridge was ready)`;
}

async function lockSqlite(ctx: FaultContext): Promise<string> {
  await ctx.at(ctx.sendMs * 0.2);
  const locker = spawnNode("sqlite-locker.mjs", [ctx.sqliteFile!, "10000"], "locked");
  await locker.printed;
  const lockedAt = Date.now();
  await locker.exited;
  return `write lock held ${((Date.now() - lockedAt) / 1000).toFixed(1)} s by another process`;
}

async function restartRedis(ctx: FaultContext): Promise<string> {
  await ctx.at(ctx.sendMs * 0.3);
  const downAt = Date.now();
  await ctx.redis!.down();
  await untilTime(Date.now() + 3_000);
  await ctx.redis!.up();
  return `redis-server down ${((Date.now() - downAt) / 1000).toFixed(1)} s (SIGTERM, AOF fsync always)`;
}

/**
 * Failed writes may go unnoticed while the process lives (the answer is still in memory); one
 * kill -9 at 60 % of the run shows what they cost: whatever was not durably recorded.
 */
async function crashOnceAfterFailedWrites(ctx: FaultContext): Promise<string> {
  await ctx.at(ctx.sendMs * 0.6);
  ctx.noteKill();
  await ctx.bridge.kill9();
  ctx.restartAfterKill();
  await ctx.bridge.ready(60_000);
  return "one kill -9 at 60 % of the run";
}

const SCENARIOS: Array<{ key: string; title: string; scenario: Scenario }> = [
  {
    key: "baseline",
    title: "with no fault, every message gets exactly one reply, in order",
    scenario: {
      ...BASE,
      platforms: [...BASE.platforms],
      fault: "none (baseline)",
      store: "sqlite",
      // 20 messages a second per platform: a busy but ordinary load, so a failure here is the harness's.
      paceMs: 50,
    },
  },
  {
    key: "kill",
    title: `kill -9 at ${KILLS} random moments loses nothing and duplicates only in the post-then-record window`,
    scenario: {
      ...BASE,
      platforms: [...BASE.platforms],
      fault: `kill -9 x${KILLS}`,
      store: "sqlite",
      paceMs: 150,
      act: killRepeatedly,
    },
  },
  {
    key: "sqlite-lock",
    title: "SQLite locked by another process for 10 s mid-run loses nothing",
    scenario: {
      ...BASE,
      platforms: [...BASE.platforms],
      fault: "SQLite locked 10 s",
      store: "sqlite",
      paceMs: 60,
      act: lockSqlite,
    },
  },
  {
    key: "redis-restart",
    title: "Redis restarted mid-burst loses nothing",
    scenario: {
      ...BASE,
      platforms: [...BASE.platforms],
      fault: "Redis restart",
      store: "redis",
      paceMs: 40,
      act: restartRedis,
    },
  },
  {
    key: "store-writes",
    title: "store writes failing at random lose nothing, even across a crash",
    scenario: {
      ...BASE,
      platforms: [...BASE.platforms],
      fault: `store writes fail p=${process.env.RELIABILITY_WRITE_FAILURE ?? "0.03"}`,
      store: "sqlite",
      paceMs: 40,
      injectStoreWriteFaults: true,
      act: crashOnceAfterFailedWrites,
      env: { MYGPT_FAULT_STORE_WRITES: process.env.RELIABILITY_WRITE_FAILURE ?? "0.03" },
    },
  },
];

describe(`fault injection (seed ${SEED}; replay with RELIABILITY_SEED=${SEED})`, () => {
  afterAll(() => {
    if (rows.length === 0) return;
    process.stdout.write(
      `\nFault-injection results (seed ${SEED}, bridge logs in ${LOGS}):\n${renderTable(rows)}\n`,
    );
    const killRows = rows.filter((r) => r.killsInWindow > 0 || r.fault.startsWith("kill"));
    for (const r of killRows) {
      process.stdout.write(
        `${r.platform}: ${r.killsInWindow} kills landed within the post-then-record window; ` +
          `${r.duplicated} duplicates, ${r.duplicatesInWindow} of them explained by such a kill\n`,
      );
    }
    if (process.env.RELIABILITY_RESULTS) writeResults(process.env.RELIABILITY_RESULTS, SEED, rows);
  });

  for (const { key, title, scenario } of SCENARIOS) {
    test.skipIf(ONLY !== undefined && !ONLY.includes(key))(title, async () => {
      const result = await runScenario(scenario, LOGS);
      rows.push(...result);
      for (const row of result) {
        expect({
          platform: row.platform,
          lost: row.lost,
          outOfOrder: row.outOfOrder,
          duplicatesOutsideKillWindow: row.duplicated - row.duplicatesInWindow,
          unexplainedDuplicates: row.detail.unexplained,
          overtakes: row.detail.overtakes,
          lostTags: row.detail.lostTags.slice(0, 10),
        }).toEqual({
          platform: row.platform,
          lost: 0,
          outOfOrder: 0,
          duplicatesOutsideKillWindow: 0,
          unexplainedDuplicates: [],
          overtakes: [],
          lostTags: [],
        });
        // One kill in the window can repeat a merged reply, and so several messages at once; each
        // duplicate must still be a message that reply quoted (checked above).
        if (row.duplicated > 0) expect(row.killsInWindow).toBeGreaterThan(0);
      }
    });
  }
});
