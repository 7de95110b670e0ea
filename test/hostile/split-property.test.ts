// The splitter against any Markdown: property-based (fast-check) random replies mixing prose, long
// words, blank lines and fenced code blocks (long info strings included), at limits from 40 to 4,000.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitMessage } from "../../src/relay/split.js";

const FENCE = /^\s*(`{3,}|~{3,})/;

const word = fc.stringMatching(/^[a-zA-Z0-9.,!?*_#>-]{1,12}$/);
const longWord = fc.stringMatching(/^[a-z]{50,300}$/);
const proseLine = fc
  .array(fc.oneof({ weight: 9, arbitrary: word }, { weight: 1, arbitrary: longWord }), {
    minLength: 0,
    maxLength: 60,
  })
  .map((words) => words.join(" "));
const codeBlock = fc
  .record({
    marker: fc.constantFrom("```", "````", "~~~"),
    info: fc.oneof(fc.constant(""), fc.constantFrom("ts", "python"), fc.stringMatching(/^[a-z]{100,3000}$/)),
    body: fc.array(fc.oneof(proseLine, fc.constant("")), { maxLength: 40 }),
    closed: fc.boolean(),
  })
  .map(({ marker, info, body, closed }) =>
    [`${marker}${info}`, ...body, ...(closed ? [marker] : [])].join("\n"),
  );
const markdown = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: proseLine },
      { weight: 1, arbitrary: fc.constant("") },
      { weight: 1, arbitrary: codeBlock },
    ),
    {
      maxLength: 60,
    },
  )
  .map((parts) => parts.join("\n"));

/** The fence lines that open or close a block, tracked as CommonMark does. */
function fenceLines(text: string): boolean[] {
  let open: string | undefined;
  return text.split("\n").map((line) => {
    const fence = FENCE.exec(line)?.[1];
    if (!fence) return false;
    if (!open) {
      open = fence;
      return true;
    }
    if (line.trim().startsWith(open) && line.trim().replace(/[`~]/g, "") === "") {
      open = undefined;
      return true;
    }
    return false;
  });
}

/** The visible text: fence lines (added, reopened or shortened by the splitter) and whitespace dropped. */
function content(text: string): string {
  const fences = fenceLines(text);
  return text
    .split("\n")
    .filter((_, i) => !fences[i])
    .join("")
    .replace(/\s+/g, "");
}

/** Whether every fence a chunk opens, it also closes. */
function balanced(chunk: string): boolean {
  return fenceLines(chunk).filter(Boolean).length % 2 === 0;
}

describe("splitMessage on any Markdown", () => {
  it("keeps every chunk within the limit, every fence balanced, and all the text", () => {
    fc.assert(
      fc.property(markdown, fc.integer({ min: 40, max: 4000 }), (text, limit) => {
        const chunks = splitMessage(text, limit);
        for (const chunk of chunks) {
          expect(chunk.length).toBeLessThanOrEqual(limit);
          if (chunks.length > 1) expect(balanced(chunk)).toBe(true);
        }
        expect(content(chunks.join("\n"))).toBe(content(text));
      }),
      { numRuns: 300 },
    );
  });

  it("a fence line longer than the limit still yields chunks within it", () => {
    const text = [
      `${"`".repeat(3)}${"x".repeat(2500)}`,
      ...Array.from({ length: 200 }, (_, i) => `line ${i}`),
      "```",
    ].join("\n");
    const chunks = splitMessage(text, 2000);
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(2000);
    expect(content(chunks.join("\n"))).toBe(content(text));
  });

  it("moves a code block that fits in one chunk whole to the next chunk", () => {
    const block = ["```ts", ...Array.from({ length: 100 }, (_, i) => `const value${i} = ${i};`), "```"].join(
      "\n",
    );
    const prose = Array.from({ length: 10 }, (_, i) => `Paragraph ${i} ${"words ".repeat(40)}`).join("\n\n");
    expect(block.length).toBeGreaterThan(1900);
    for (let cut = 0; cut < 3500; cut += 250) {
      const text = `${prose.slice(0, cut)}\n\n${block}\n\n${prose}`;
      const chunks = splitMessage(text, 3500);
      expect(chunks.some((c) => c.includes(block))).toBe(true);
    }
  });
});
