// V8 heap sizing for the `mygpt-bridge` process. Start-up (loading modules, building the config
// schemas, opening the store) is a burst of allocations that mostly survive, and V8 answers each
// such burst by doubling the young generation, up to 16 MiB per semi-space on 64-bit; it never
// shrinks it again in an idle process. Holding the young generation at its initial size while the
// bridge starts, and handing the sizing back to V8 once it runs, keeps about 12 MiB out of the idle
// RSS and changes nothing under load (a young generation held small for good would cost ~15 % CPU
// per reply, measured with the peers bench). An operator who sizes it (node flags or NODE_OPTIONS
// naming the semi-space) is left alone.
import { setFlagsFromString } from "node:v8";

/** V8's own growth factor of the young generation (its default since V8 5). */
const V8_DEFAULT_GROWTH = 2;

function sizedByOperator(): boolean {
  return [...process.execArgv, process.env.NODE_OPTIONS ?? ""].some((flag) => /semi.space/.test(flag));
}

let held = false;

/** Keeps the young generation at its initial size until releaseYoungGeneration(). */
export function holdYoungGeneration(): void {
  if (held || sizedByOperator()) return;
  setFlagsFromString("--semi-space-growth-factor=1");
  held = true;
}

/** Lets V8 grow the young generation again as the workload needs. */
export function releaseYoungGeneration(): void {
  if (!held) return;
  setFlagsFromString(`--semi-space-growth-factor=${V8_DEFAULT_GROWTH}`);
  held = false;
}
