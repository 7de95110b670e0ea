// Per-process memories stay bounded however long the bridge runs: Discord's known threads and
// answered interactions (whose tokens die after 15 minutes anyway).
import { REST } from "discord.js";
import { describe, expect, it } from "vitest";
import { Delivery } from "../../adapters/discord/delivery.js";
import { BoundedSet } from "../../src/bounded-set.js";

describe("bounded memories", () => {
  it("Discord's known threads never exceed their bound, keeping the most recent", () => {
    const delivery = new Delivery(new REST(), [], { maxKnownThreads: 100 });
    for (let i = 0; i < 10_000; i++) delivery.noteThread(`thread-${i}`);
    expect(delivery.knownThreads.size).toBe(100);
    expect(delivery.knownThreads.has("thread-9999")).toBe(true);
    expect(delivery.knownThreads.has("thread-0")).toBe(false);
  });

  it("answered interactions are forgotten once their token has expired (15 minutes), and bounded", () => {
    let now = 0;
    const delivery = new Delivery(new REST(), [], { maxAnsweredInteractions: 50, now: () => now });
    delivery.answeredInteractions.add("token-a");
    now += 14 * 60_000;
    expect(delivery.answeredInteractions.has("token-a")).toBe(true);
    now += 60_000;
    expect(delivery.answeredInteractions.has("token-a")).toBe(false);
    for (let i = 0; i < 1000; i++) delivery.answeredInteractions.add(`t-${i}`);
    expect(delivery.answeredInteractions.size).toBe(50);
  });

  it("a bounded set refreshes a key added again", () => {
    const set = new BoundedSet({ max: 2 });
    set.add("a");
    set.add("b");
    set.add("a");
    set.add("c");
    expect(set.has("a")).toBe(true);
    expect(set.has("b")).toBe(false);
  });
});
