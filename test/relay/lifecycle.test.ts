// The relay's stop signal is listened to by every call in flight and every retry waiting: dozens
// at once under load, which must not print Node's "possible EventTarget memory leak" warning.
import { setImmediate as turn } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { Lifecycle } from "../../src/relay/lifecycle.js";

const warnings: string[] = [];
const onWarning = (warning: Error) => warnings.push(warning.name);
afterEach(() => {
  process.off("warning", onWarning);
  warnings.length = 0;
});

describe("the relay's stop signal", () => {
  it("fifty calls in flight listening for the stop print no listener-leak warning, and all hear it", async () => {
    process.on("warning", onWarning);
    const life = new Lifecycle();
    life.begin();
    let heard = 0;
    for (let i = 0; i < 50; i++) life.signal.addEventListener("abort", () => heard++, { once: true });
    await turn();
    expect(warnings).not.toContain("MaxListenersExceededWarning");
    life.end();
    expect(heard).toBe(50);
  });
});
