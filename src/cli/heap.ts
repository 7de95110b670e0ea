// V8 heap sizing for the `mygpt-bridge` process. V8 grows the young generation (doubling each
// semi-space, up to 16 MiB on 64-bit) after each scavenge that finds much of it alive, and never
// shrinks it again in a process that then goes quiet. Two moments would size it for good:
// - Start-up (loading modules, building the config schemas, opening the store) is such a burst.
//   The young generation is held at its initial size until the bridge runs, which keeps about
//   12 MiB out of the idle RSS and changes nothing under load.
// - A burst of messages taken in at once (thousands waiting for budget) grows it to the maximum,
//   32 MiB of RSS that stays. It may grow to 4 MiB per semi-space, no further: measured with the
//   peers bench, that cuts RSS growth with 5,000 messages waiting by about 24 MiB, and CPU per
//   reply was the same at 4 and 8 MiB over three runs each (held at 1 MiB for good it would cost
//   ~15 %).
// An operator who sizes it (node flags or NODE_OPTIONS naming the semi-space) is left alone.
import { PerformanceObserver } from "node:perf_hooks";
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";

/** V8's own growth factor of the young generation (its default since V8 5). */
const V8_DEFAULT_GROWTH = 2;
/** The largest semi-space the young generation may grow to. */
const SEMI_SPACE_CAP_BYTES = 4 * 1024 * 1024;

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

/** Lets V8 grow the young generation again as the workload needs, up to the cap. */
export function releaseYoungGeneration(): void {
  if (!held) return;
  setFlagsFromString(`--semi-space-growth-factor=${V8_DEFAULT_GROWTH}`);
  held = false;
  capYoungGeneration();
}

/** Semi-space size now (the new space holds two). */
export function semiSpaceBytes(): number {
  const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === "new_space");
  return (newSpace?.space_size ?? 0) / 2;
}

/** Stops the growth once a scavenge has grown a semi-space to the cap. */
function capYoungGeneration(): void {
  if (semiSpaceBytes() >= SEMI_SPACE_CAP_BYTES) {
    setFlagsFromString("--semi-space-growth-factor=1");
    return;
  }
  const observer = new PerformanceObserver(() => {
    if (semiSpaceBytes() < SEMI_SPACE_CAP_BYTES) return;
    setFlagsFromString("--semi-space-growth-factor=1");
    observer.disconnect();
  });
  observer.observe({ entryTypes: ["gc"] });
}
