// `npm run bench`: runs every benchmark once (or only those named: `npm run bench -- --only peers`) and prints one markdown table per bench, ours beside
// its baseline from the same run (machines are noisy, so only side-by-side figures compare), each
// followed by a PASS/FAIL verdict line. The exit code is 0 unless a bench crashed: verdicts report,
// they do not gate. Re-runs itself with --expose-gc so the memory bench can collect before measuring.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { benchBudget } from "./budget.bench.js";
import { benchContactMemory } from "./contact-memory.bench.js";
import { benchPeerConversations, benchPeerOverload, benchPeers } from "./peers.bench.js";
import { benchRelay } from "./relay.bench.js";
import { benchSplit } from "./split.bench.js";
import { type BenchResult, formatResult } from "./table.js";

const BENCHES: Array<[string, () => Promise<BenchResult>]> = [
  ["budget", benchBudget],
  ["split", benchSplit],
  ["contacts", benchContactMemory],
  ["relay", benchRelay],
  ["peers", benchPeers],
  ["peers-conversations", benchPeerConversations],
  ["peers-overload", benchPeerOverload],
];

if (typeof globalThis.gc !== "function") {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, "--expose-gc", self, ...process.argv.slice(2)],
    {
      stdio: "inherit",
    },
  );
  process.exit(child.status ?? 1);
}

/** Bench names to run (`npm run bench -- peers` or `-- --only peers`); none means all. */
const only = process.argv.slice(2).filter((a) => a !== "--only");
const verdicts: string[] = [];
const started = performance.now();
for (const [name, bench] of BENCHES) {
  if (only.length > 0 && !only.includes(name)) continue;
  const result = await bench();
  console.log(formatResult(result));
  verdicts.push(`${result.ok ? "PASS" : "FAIL"} ${name}`);
}
console.log(`${verdicts.join(", ")} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
