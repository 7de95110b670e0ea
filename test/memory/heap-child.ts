// Run by heap.test.ts as its own process (V8 flags are process-wide): a start-up, then a burst
// of messages taken in and kept waiting, the way the bridge lives; prints the semi-space size.
import { setImmediate as turn } from "node:timers/promises";
import { holdYoungGeneration, releaseYoungGeneration, semiSpaceBytes } from "../../src/cli/heap.js";

const atFirst = semiSpaceBytes();
holdYoungGeneration();
const kept: unknown[] = [];
const burst = async (messages: number) => {
  for (let i = 0; i < messages; i++) {
    kept.push({ text: `message ${i} ${"x".repeat(200)}`, at: Date.now(), to: { chat: i % 1000 } });
    // A server yields to the event loop between the batches it takes in.
    if (i % 500 === 0) await turn();
  }
};
await burst(20_000);
const afterStart = semiSpaceBytes();
releaseYoungGeneration();
await burst(200_000);
process.stdout.write(
  `${JSON.stringify({ atFirst, afterStart, afterBurst: semiSpaceBytes(), kept: kept.length })}\n`,
);
