import { describe, expect, it } from "vitest";
import { splitMessage } from "../../src/relay/split.js";

function fencesBalanced(chunk: string): boolean {
  return (chunk.match(/^\s*```/gm) ?? []).length % 2 === 0;
}

describe("splitting long replies", () => {
  it("leaves a reply within the limit whole", () => {
    expect(splitMessage("short answer", 100)).toEqual(["short answer"]);
  });

  it("never produces a chunk over the limit, and loses no words", () => {
    const text = Array.from({ length: 300 }, (_, i) => `Sentence number ${i} is here.`).join(" ");
    const chunks = splitMessage(text, 200);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(200);
    expect(chunks.join(" ").split(/\s+/)).toEqual(text.split(/\s+/));
  });

  it("prefers a paragraph break over a line break", () => {
    const para1 = "a".repeat(60);
    const para2 = `${"b".repeat(30)}\n${"c".repeat(30)}`;
    const chunks = splitMessage(`${para1}\n\n${para2}`, 80);
    expect(chunks[0]).toBe(para1);
    expect(chunks[1]).toBe(para2);
  });

  it("closes a code block that must be split and reopens it with the same language", () => {
    const code = Array.from({ length: 40 }, (_, i) => `console.log(${i});`).join("\n");
    const text = `Here is code:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nDone.`;
    const chunks = splitMessage(text, 200);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(200);
      expect(fencesBalanced(c)).toBe(true);
    }
    expect(chunks[1]?.startsWith("```ts\n")).toBe(true);
    const rejoined = chunks.join("\n").replace(/```\n```ts\n/g, "");
    for (let i = 0; i < 40; i++) expect(rejoined).toContain(`console.log(${i});`);
    expect(chunks.at(-1)).toContain("Done.");
  });

  it("splits one enormous line between words", () => {
    const chunks = splitMessage("word ".repeat(1000).trim(), 2000);
    expect(chunks.length).toBe(3);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(2000);
    expect(chunks.join(" ").split(" ").length).toBe(1000);
  });

  it("returns nothing for an empty reply", () => {
    expect(splitMessage("   \n ", 100)).toEqual([]);
  });
});
