// The bridge process's young generation: held at its initial size while it starts, then free to
// grow under load up to 4 MiB per semi-space, not V8's 16, which an idle process never gives back.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const MiB = 1024 * 1024;

function runChild(nodeOptions = ""): { atFirst: number; afterStart: number; afterBurst: number } {
  const script = fileURLToPath(new URL("./heap-child.ts", import.meta.url));
  const out = execFileSync(process.execPath, ["--import", "tsx", script], {
    env: { ...process.env, NODE_OPTIONS: nodeOptions },
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

describe("the bridge's young generation", () => {
  it("stays small through start-up, grows under a burst, and stops at 4 MiB per semi-space", () => {
    const { atFirst, afterStart, afterBurst } = runChild();
    expect(afterStart).toBe(atFirst);
    expect(afterBurst).toBeGreaterThan(afterStart);
    expect(afterBurst).toBeLessThanOrEqual(4 * MiB);
  });

  it("is left to the operator who sizes it", () => {
    const { atFirst, afterStart } = runChild("--max-semi-space-size=4");
    expect(afterStart).toBeGreaterThan(atFirst);
  });
});
