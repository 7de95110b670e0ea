// The Discord gateway across replicas: Discord allows one session per shard, so with a shared store
// the replicas elect the one that connects, with the lock "discord:shard:<application id>:0/1"
// (src/leadership.ts). The holder keeps the gateway session; the others stand by, still able to post
// replies over REST, and connect within the lease time if the holder dies (at once when it stops
// gracefully). A holder that loses the lock closes its session before the lock can pass on.
// One shard only: a bot large enough to need several shards is not split across replicas yet.
import type { Logger } from "pino";
import { LeaderLease } from "../../src/leadership.js";
import type { Store } from "../../src/store/types.js";

export interface GatewayLeaderOptions {
  store: Store;
  applicationId: string;
  logger: Logger;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  leaseMs?: number;
}

/** The lock of shard `shard` of `count` of an application's gateway connection. */
export function shardLock(applicationId: string, shard = 0, count = 1): string {
  return `discord:shard:${applicationId}:${shard}/${count}`;
}

export function gatewayLeader(options: GatewayLeaderOptions): LeaderLease {
  return new LeaderLease({
    store: options.store,
    lock: shardLock(options.applicationId),
    logger: options.logger,
    ...(options.leaseMs !== undefined && { leaseMs: options.leaseMs }),
    messages: {
      leading: "became the Discord gateway connection",
      standingBy: "standing by: another replica holds the Discord gateway connection",
    },
    lead: options.connect,
    abdicate: options.disconnect,
  });
}
