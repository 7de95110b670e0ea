// Assistant Markdown rendered for Telegram: what users see, and HTML that Telegram's parser (as the
// emulator implements it) accepts for every Markdown construct an assistant tends to write.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { render } from "../../adapters/telegram/markdown.js";
import { isPlainProse, markdownToPlainText, markdownToTelegramHtml } from "../../adapters/telegram/render.js";
import { parseTelegramHtml } from "../emulators/telegram/html-entities.js";

const SAMPLE = [
  "# Plan",
  "",
  "Some *italic*, **bold**, ~~gone~~ and `x < y && z > 0`.",
  "",
  "- first",
  "- second",
  "  1. nested",
  "- [x] done",
  "",
  "> a quote",
  "> > nested quote",
  "",
  "```ts",
  "if (a < b && c > d) return '<tag>';",
  "```",
  "",
  "| name | value |",
  "|------|-------|",
  "| <b>  | 1 & 2 |",
  "",
  "<script>alert('hi')</script>",
  "",
  'See [the docs](https://example.com/a?b=1&c="2") or ![chart](https://example.com/c.png).',
  "",
  "---",
  "",
  "[ref link][r] and a footnote[^1].",
  "",
  "[r]: https://example.com/ref",
  "[^1]: The note.",
].join("\n");

describe("Markdown to Telegram HTML", () => {
  it("produces HTML Telegram accepts for every common Markdown construct", async () => {
    const parsed = parseTelegramHtml(await markdownToTelegramHtml(SAMPLE));
    expect(parsed.ok ? "" : parsed.reason).toBe("");
  });

  it("shows the user the characters < > & literally, never as markup", async () => {
    const parsed = parseTelegramHtml(await markdownToTelegramHtml("a <b>not bold</b> & 1 < 2 > 0"));
    expect(parsed).toEqual({ ok: true, text: "a <b>not bold</b> & 1 < 2 > 0", entities: [] });
  });

  it("renders bold, italics, strikethrough, inline code, code blocks and links as entities", async () => {
    const parsed = parseTelegramHtml(
      await markdownToTelegramHtml("**B** *I* ~~S~~ `C` [L](https://x.org)\n\n```py\nprint(1)\n```"),
    );
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.entities.map((e) => e.type)).toEqual([
      "bold",
      "italic",
      "strikethrough",
      "code",
      "text_link",
      "pre",
    ]);
    expect(parsed.entities.at(-1)).toMatchObject({ type: "pre", language: "py" });
    expect(parsed.text).toBe("B I S C L\n\nprint(1)");
  });

  it("drops links with schemes Telegram users should not be sent to, keeping their text", async () => {
    expect(await markdownToTelegramHtml("[click](javascript:alert(1))")).toBe("click");
  });

  it("keeps list structure readable", async () => {
    expect(await markdownToTelegramHtml("1. one\n2. two\n   - sub")).toBe("1. one\n2. two\n   • sub");
  });

  it("has a plain-text twin that keeps link targets and code", async () => {
    expect(await markdownToPlainText("**Read** [the docs](https://example.com) and `run()`")).toBe(
      "Read the docs (https://example.com) and run()",
    );
  });
});

describe("plain prose skips the markdown parser and reads the same", () => {
  // Characters that look like prose plus every one that can start markdown, HTML or an autolink.
  const piece = fc.oneof(
    { weight: 6, arbitrary: fc.stringMatching(/^[a-zA-Zéü0-9]{1,8}$/) },
    { weight: 4, arbitrary: fc.constantFrom(" ", "  ", "\n", "\n\n", "\n\n\n", ".", ",", "?", ":", ";") },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        ..."'\"%$/()=+-*_~`[]<>#|\\&!@\t".split(""),
        "1.",
        "2)",
        "www.",
        "http://x.io",
        "^",
        "](",
        "]:",
        "][",
        "a_b",
        "[x]",
        "[^1]",
      ),
    },
  );
  const text = fc.array(piece, { minLength: 1, maxLength: 30 }).map((parts) => parts.join(""));

  it("any text taken as plain prose renders as the parser renders it, in HTML and plain text", () => {
    let prose = 0;
    fc.assert(
      fc.property(text, (t) => {
        if (!isPlainProse(t)) return;
        prose++;
        expect(render(t, "html")).toBe(t);
        expect(render(t, "plain")).toBe(t);
      }),
      { numRuns: 10000 },
    );
    expect(prose).toBeGreaterThan(500);
  });

  it("a typical short answer is plain prose; markdown, markup and links are not", () => {
    expect(isPlainProse("Sure! The meeting is at 3 pm (room #2).\n\nAnything else?")).toBe(true);
    expect(isPlainProse("[session brg_1 turn 2] see my_var [1]")).toBe(true);
    for (const md of [
      "a *b*",
      "# Title",
      "![x](y)",
      "1. first",
      "- item",
      "a & b",
      "see www.example.com",
      "x\n===",
      "a  \nb",
    ])
      expect(isPlainProse(md)).toBe(false);
  });
});
