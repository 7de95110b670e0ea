// The window log as a Redis sorted set, so several bridge processes on one Redis share one budget:
// a Lua script prunes, counts and adds in one atomic step, on Redis's own clock.
import { createClient } from "@redis/client";
import type { Logger } from "pino";
import type { SlotLedger, TakeResult } from "./ledger.js";
import type { WindowLog } from "./window-log.js";

// KEYS[1] the sorted set; ARGV: span ms, limit, a unique member name.
// Returns {0, count} when a slot was taken, else {ms until the blocking entry leaves, count}.
const TAKE_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local span = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], span)
  return {0, count + 1}
end
local blocker = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
return {tonumber(blocker[2]) + span - now, count}
`;

// KEYS[1] the sorted set; ARGV: the member of a call that finished, span ms. Moves it to now.
const FINISH = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  local t = redis.call('TIME')
  redis.call('ZADD', KEYS[1], 'XX', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
end
return 0
`;

export class RedisLedger implements SlotLedger {
  private readonly client;
  private connected?: Promise<unknown>;
  private readonly key: string;
  private sequence = 0;

  constructor(
    readonly log: WindowLog,
    id: string,
    url: string,
    private readonly logger: Logger,
  ) {
    this.key = `budget:${id}`;
    this.client = createClient({ url });
    this.client.on("error", (error: unknown) =>
      this.logger.warn({ budget: id, err: error }, "redis connection for the call budget failed"),
    );
  }

  async tryTake(now: number): Promise<TakeResult> {
    this.connected ??= this.client.connect();
    await this.connected;
    const member = `${process.pid}:${++this.sequence}:${Math.random().toString(36).slice(2)}`;
    const [waitMs] = (await this.client.eval(TAKE_SLOT, {
      keys: [this.key],
      arguments: [String(this.log.spanMs), String(this.log.limit), member],
    })) as [number, number];
    if (waitMs > 0) return { taken: false, waitMs };
    this.log.add(now);
    return {
      taken: true,
      finished: async (at) => {
        this.log.move(now, at);
        await this.client.eval(FINISH, { keys: [this.key], arguments: [member, String(this.log.spanMs)] });
      },
    };
  }

  async close(): Promise<void> {
    if (this.connected) {
      await this.connected.catch(() => {});
      if (this.client.isOpen) await this.client.close();
    }
  }
}
