// The fault suite's counting, checked on hand-made histories: a harness that miscounts would make
// every table it prints worthless.
import { describe, expect, test } from "vitest";
import { Ledger, messageTag, tagsIn } from "./ledger.js";

function ledgerWith(conversations: number, perConversation: number): Ledger {
  const ledger = new Ledger(100);
  for (let c = 0; c < conversations; c++) {
    for (let n = 0; n < perConversation; n++) {
      ledger.recordSent({ tag: messageTag(c, n), conversation: c, n, at: 0 });
    }
  }
  return ledger;
}

describe("the fault suite's ledger", () => {
  test("reads every message id a reply quotes, and nothing else", () => {
    expect(tagsIn("[session s turn 2] question k3n7 please\n\nquestion k3n8 please")).toEqual([
      "k3n7",
      "k3n8",
    ]);
    expect(tagsIn("Sorry, the assistant is having trouble right now.")).toEqual([]);
  });

  test("a merged reply answers every message it quotes once", () => {
    const ledger = ledgerWith(1, 3);
    ledger.recordPost("chat:1", "k0n0 k0n1", 10);
    ledger.recordPost("chat:2", "k0n2", 20);
    expect(ledger.allAnswered()).toBe(true);
    expect(ledger.tally()).toMatchObject({ sent: 3, answered: 3, duplicated: 0, lost: 0, outOfOrder: 0 });
  });

  test("an edit of the same post is not a second reply", () => {
    const ledger = ledgerWith(1, 1);
    ledger.recordPost("chat:1", "k0n0 partial", 10);
    ledger.recordPost("chat:1", "k0n0 partial and the rest", 20);
    expect(ledger.tally()).toMatchObject({ answered: 1, duplicated: 0 });
  });

  test("a message quoted by two posts is duplicated, one quoted by none is lost", () => {
    const ledger = ledgerWith(1, 3);
    ledger.recordPost("chat:1", "k0n0", 10);
    ledger.recordPost("chat:2", "k0n0 k0n1", 20);
    ledger.recordPost("chat:3", "Sorry, try again", 30);
    const tally = ledger.tally();
    expect(ledger.allAnswered()).toBe(false);
    expect(tally).toMatchObject({ answered: 1, duplicated: 1, lost: 1, otherPosts: 1 });
    expect(tally.duplicatedTags).toEqual(["k0n0"]);
    expect(tally.lostTags).toEqual(["k0n2"]);
  });

  test("a later message answered before an earlier one of its conversation is out of order", () => {
    const ledger = ledgerWith(2, 2);
    ledger.recordPost("a:1", "k0n1", 10);
    ledger.recordPost("b:1", "k1n0", 15);
    ledger.recordPost("a:2", "k0n0", 20);
    ledger.recordPost("b:2", "k1n1", 25);
    const tally = ledger.tally();
    expect(tally.outOfOrder).toBe(1);
    // Counted against the message that jumped the queue.
    expect(tally.outOfOrderTags).toEqual(["k0n1"]);
  });

  test("a message Slack delivered late is not owed a reply before those that reached the bridge first", () => {
    const ledger = ledgerWith(1, 2);
    ledger.markArrived("k0n0", 5000);
    ledger.markArrived("k0n1", 100);
    ledger.recordPost("a:1", "k0n1", 200);
    ledger.recordPost("a:2", "k0n0", 5100);
    expect(ledger.tally().outOfOrder).toBe(0);
    ledger.markArrived("k0n0", 50);
    expect(ledger.tally().outOfOrder).toBe(1);
  });

  test("a message whose storing is unknown until its retry may be answered after later ones", () => {
    const ledger = ledgerWith(1, 2);
    // k0n0 reached the bridge at 100 but was acknowledged only by a retry at 3200; k0n1 was stored
    // at 300, while k0n0's fate was unknown: answering k0n1 first is no violation.
    ledger.markArrived("k0n0", 100, 3200);
    ledger.markArrived("k0n1", 200, 300);
    ledger.recordPost("a:1", "k0n1", 400);
    ledger.recordPost("a:2", "k0n0", 3300);
    expect(ledger.tally().outOfOrder).toBe(0);
    // Had k0n0 been acknowledged at once (stored by 150), answering k0n1 first would be one.
    ledger.markArrived("k0n0", 100, 150);
    expect(ledger.tally().outOfOrder).toBe(1);
  });

  test("a reply counts from when its text first showed the message, not from its placeholder", () => {
    const ledger = ledgerWith(1, 2);
    ledger.recordPost("a:1", "…", 10);
    ledger.recordPost("a:2", "k0n0", 20);
    ledger.recordPost("a:1", "k0n1", 30);
    expect(ledger.tally()).toMatchObject({ answered: 2, outOfOrder: 0, otherPosts: 0 });
  });

  test("a duplicate is explained only when its reply was posted just before a kill", () => {
    const ledger = ledgerWith(1, 2);
    ledger.recordPost("chat:1", "k0n0", 1000);
    ledger.recordKill(1050);
    ledger.recordRestart();
    ledger.recordPost("chat:2", "k0n0", 3000);
    ledger.recordPost("chat:3", "k0n1", 3100);
    ledger.recordKill(5000);
    ledger.recordRestart();
    ledger.recordPost("chat:4", "k0n1", 6000);
    expect(ledger.killsInWindow()).toBe(1);
    expect(ledger.tally()).toMatchObject({ duplicated: 2, duplicatesInKillWindow: 1 });
  });

  test("a post the killed process had sent, seen after the kill but before the restart, is in its window", () => {
    const ledger = ledgerWith(1, 1);
    ledger.recordKill(1000);
    // The dying process's request reached the platform a few ms after the kill was noted.
    ledger.recordPost("chat:1", "k0n0", 1004);
    ledger.recordRestart();
    ledger.recordPost("chat:2", "k0n0", 3000);
    expect(ledger.killsInWindow()).toBe(1);
    expect(ledger.tally()).toMatchObject({ duplicated: 1, duplicatesInKillWindow: 1 });
  });
});
