// Markdown from the assistant, rendered for Telegram: HTML in Telegram's small tag subset (b, i, s,
// code, pre, a, blockquote) with <, > and & escaped, and a plain-text twin for when Telegram refuses
// the HTML. Text that cannot hold any markdown (most short answers) renders as itself; anything else
// goes through the parser in markdown.ts, loaded on the first reply that needs it (it costs a few MiB
// that an idle bridge does not need).

type Markdown = typeof import("./markdown.js");
let parser: Promise<Markdown> | undefined;

function markdownParser(): Promise<Markdown> {
  parser ??= import("./markdown.js");
  return parser;
}

/** Telegram HTML for parse_mode "HTML". */
export async function markdownToTelegramHtml(markdown: string): Promise<string> {
  return isPlainProse(markdown) ? markdown : (await markdownParser()).render(markdown, "html");
}

/** The same message without markup, for sending with no parse_mode. */
export async function markdownToPlainText(markdown: string): Promise<string> {
  return isPlainProse(markdown) ? markdown : (await markdownParser()).render(markdown, "plain");
}

/**
 * Text the markdown parser would give back unchanged, in both modes: only letters, digits, spaces
 * and punctuation that starts no markdown construct, no HTML-special character, no URL or address an
 * autolink would catch, no line that could open a block (list item, heading underline, indented
 * code) and no blank-line runs or edge whitespace the parser would fold. Brackets pass when nothing
 * could make them a link (no "](", "][" or "]:"), underscores when inside a word (snake_case never
 * emphasises). Anything else is parsed.
 */
export function isPlainProse(text: string): boolean {
  return (
    PROSE_CHARACTERS.test(text) &&
    !BLOCK_OPENER.test(text) &&
    !text.includes("\n\n\n") &&
    !text.includes("://") &&
    !/www\./i.test(text) &&
    !/\][(:[]/.test(text) &&
    !EDGE_UNDERSCORE.test(text)
  );
}

const PROSE = "[\\p{L}\\p{N}\\p{M} ,.?!;:'\"%$/()#=+\\[\\]_-]+";
const EDGE_UNDERSCORE = /(^|[^\p{L}\p{N}])_|_($|[^\p{L}\p{N}])/u;
const PROSE_CHARACTERS = new RegExp(`^${PROSE}(\\n{1,2}${PROSE})*$`, "u");
/**
 * A line that starts or ends with a space, or starts like a list item, rule, heading underline,
 * or table delimiter row (":-").
 */
const BLOCK_OPENER = /(^|\n)([ #=+:-]|\p{N}+[.)])|( )(\n|$)/u;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Splits plain text into pieces Telegram accepts, preferring line then word boundaries. */
export function splitPlain(text: string, limit: number): string[] {
  const pieces: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    const window = rest.slice(0, limit);
    let cut = window.lastIndexOf("\n");
    if (cut < limit / 2) cut = window.lastIndexOf(" ");
    if (cut < limit / 2) cut = limit;
    pieces.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest.length > 0) pieces.push(rest);
  return pieces;
}
