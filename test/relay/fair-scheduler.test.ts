import { describe, expect, it } from "vitest";
import { FairScheduler } from "../../src/relay/fair-scheduler.js";

describe("the fair scheduler", () => {
  it("serves a quiet conversation before a flooding one is through", () => {
    const s = new FairScheduler<string>();
    for (let i = 0; i < 100; i++) s.push("flooder", `f${i}`);
    s.push("quiet", "q0");
    const first = s.take(1);
    s.done(first!.conversationKey);
    const second = s.take(1);
    expect(first?.conversationKey).toBe("flooder");
    expect(second?.conversationKey).toBe("quiet");
  });

  it("keeps one call in flight per conversation so answers stay in order", () => {
    const s = new FairScheduler<string>();
    s.push("a", "a1");
    s.push("a", "a2");
    expect(s.take(1)?.items).toEqual(["a1"]);
    expect(s.take(1)).toBeUndefined();
    s.done("a");
    expect(s.take(1)?.items).toEqual(["a2"]);
  });

  it("hands everything a conversation queued to one call when merging", () => {
    const s = new FairScheduler<string>();
    s.push("a", "a1");
    s.push("a", "a2");
    s.push("a", "a3");
    expect(s.take()?.items).toEqual(["a1", "a2", "a3"]);
    expect(s.size).toBe(0);
  });

  it("puts a retried batch back in front of later messages", () => {
    const s = new FairScheduler<string>();
    s.push("a", "a1");
    const batch = s.take(1)!;
    s.push("a", "a2");
    s.requeue("a", batch.items);
    expect(s.take()?.items).toEqual(["a1", "a2"]);
  });

  it("never merges across a command, so /reset falls between the questions around it", () => {
    const s = new FairScheduler<string>({ isAlone: (item) => item.startsWith("/") });
    for (const item of ["q1", "q2", "/reset", "q3"]) s.push("a", item);
    expect(s.take()?.items).toEqual(["q1", "q2"]);
    s.done("a");
    expect(s.take()?.items).toEqual(["/reset"]);
    s.done("a");
    expect(s.take()?.items).toEqual(["q3"]);
  });

  it("stops merging before a call would carry more than the size cap, but always takes one item", () => {
    const s = new FairScheduler<string>({ sizeOf: (item) => item.length, maxSize: 10 });
    for (const item of ["aaaa", "bbbb", "cccc", "dddddddddddddddd"]) s.push("a", item);
    expect(s.take()?.items).toEqual(["aaaa", "bbbb"]);
    s.done("a");
    expect(s.take()?.items).toEqual(["cccc"]);
    s.done("a");
    expect(s.take()?.items).toEqual(["dddddddddddddddd"]);
  });

  it("reports a position that counts calls in flight and conversations ahead", () => {
    const s = new FairScheduler<string>();
    s.push("a", "a1");
    s.take();
    expect(s.push("b", "b1")).toBe(2);
    expect(s.push("c", "c1")).toBe(3);
  });

  it("passes over a lane that is full and serves a conversation in another lane at once", () => {
    const s = new FairScheduler<string>({ laneOf: (item) => item.split(":")[0]! });
    for (let i = 0; i < 10; i++) s.push(`a${i}`, `A:${i}`);
    s.push("b0", "B:0");
    const full = (lane: string) => lane !== "A" || s.inFlightIn("A") < 2;
    expect(s.take(1, full)?.conversationKey).toBe("a0");
    expect(s.take(1, full)?.conversationKey).toBe("b0");
    expect(s.take(1, full)?.conversationKey).toBe("a1");
    expect(s.take(1, full)).toBeUndefined();
  });

  it("keeps round-robin across conversations within a lane", () => {
    const s = new FairScheduler<string>({ laneOf: (item) => item.split(":")[0]! });
    for (let i = 0; i < 5; i++) s.push("flooder", `A:f${i}`);
    s.push("quiet", "A:q");
    const first = s.take(1)!;
    s.done(first.conversationKey);
    expect(first.conversationKey).toBe("flooder");
    expect(s.take(1)?.conversationKey).toBe("quiet");
  });

  it("counts a position within the conversation's own lane", () => {
    const s = new FairScheduler<string>({ laneOf: (item) => item.split(":")[0]! });
    for (let i = 0; i < 5; i++) s.push(`a${i}`, `A:${i}`);
    expect(s.push("b0", "B:0")).toBe(1);
    expect(s.push("a5", "A:5")).toBe(6);
  });
});
