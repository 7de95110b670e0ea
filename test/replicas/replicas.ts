// Bridge replicas for the scale-out tests: several `mygpt-bridge start` processes on one real
// redis-server, each on its own port, with a short lease so takeovers happen within a test. Reads
// what each replica says about itself on /metrics (bridge_leader: which connection it holds).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { slackSignature } from "../emulators/slack/signer.js";
import { BridgeProcess } from "../reliability/bridge-process.js";
import { freePort } from "../support/redis.js";

/** The lease time replicas run with in these tests (PROCESS_LEASE_MS). */
export const TEST_LEASE_MS = 3000;

export async function startReplicas(count: number, env: Record<string, string>): Promise<BridgeProcess[]> {
  const logs = mkdtempSync(join(tmpdir(), "bridge-replicas-"));
  const replicas: BridgeProcess[] = [];
  for (let i = 0; i < count; i++) {
    const replica = new BridgeProcess({
      env: { LOG_LEVEL: "info", PROCESS_LEASE_MS: String(TEST_LEASE_MS), ...env },
      port: await freePort(),
      logFile: join(logs, `replica-${i}.log`),
    });
    replica.start();
    replicas.push(replica);
  }
  await Promise.all(replicas.map((r) => r.ready()));
  return replicas;
}

/** Whether the replica holds the named connection now, as its /metrics says (undefined: not listed). */
export async function holds(replica: BridgeProcess, role: string): Promise<boolean | undefined> {
  const text = await (await fetch(`${replica.url}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
  const line = text.split("\n").find((l) => l.startsWith(`bridge_leader{role="${role}"}`));
  return line === undefined ? undefined : line.trim().endsWith(" 1");
}

/** The running replicas that hold `role`, once exactly one does (bounded wait). */
export async function theHolder(replicas: BridgeProcess[], role: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = replicas.filter((r) => r.running);
    const states = await Promise.all(running.map((r) => holds(r, role).catch(() => undefined)));
    const holders = running.filter((_, i) => states[i] === true);
    if (holders.length === 1) return holders[0]!;
    if (holders.length > 1) throw new Error(`${holders.length} replicas hold ${role} at once`);
    if (Date.now() > deadline) throw new Error(`no replica took ${role} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Posts a Slack Events API body to a replica, signed as Slack signs it; resolves with the status. */
export async function postSlackEvent(signingSecret: string, url: string, body: string): Promise<number> {
  const ts = Math.floor(Date.now() / 1000);
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-slack-request-timestamp": String(ts),
      "x-slack-signature": slackSignature(signingSecret, ts, body),
    },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}
