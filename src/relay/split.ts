// Splits a long Markdown reply into chunks a platform accepts: at a paragraph break where one falls
// in the second half of a chunk, else at a line break, else between words; never leaving a fenced code
// block open (a block that must be split is closed at the end of one chunk and reopened with the same
// fence line at the start of the next).

const FENCE_LINE = /^\s*(`{3,}|~{3,})/;

interface Line {
  text: string;
  /** The fence line that is open after this line, if any. */
  openAfter?: string;
}

export function splitMessage(text: string, limit: number): string[] {
  if (limit < 40) throw new RangeError("split limit must be at least 40 characters");
  const trimmed = text.replace(/\s+$/, "");
  if (trimmed.length <= limit) return trimmed.trim().length > 0 ? [trimmed] : [];

  const chunks: string[] = [];
  let lines: Line[] = [];
  let reopen: string | undefined;

  const render = (part: Line[], opening: string | undefined): string => {
    const close = part.at(-1)?.openAfter;
    const body = part.map((l) => l.text).join("\n");
    return `${opening ? `${opening}\n` : ""}${body}${close ? `\n${fenceOf(close)}` : ""}`;
  };

  for (const line of annotate(trimmed, limit)) {
    if (lines.length > 0 && render([...lines, line], reopen).length > limit) {
      const cut = breakPoint(lines, reopen, limit, render);
      const head = lines.slice(0, cut);
      chunks.push(render(head, reopen));
      reopen = head.at(-1)?.openAfter;
      lines = lines.slice(cut);
      while (lines[0] && lines[0].text.trim() === "" && !reopen) lines.shift();
    }
    lines.push(line);
  }
  if (lines.length > 0) chunks.push(render(lines, reopen));
  return chunks.map((c) => c.replace(/\s+$/, "")).filter((c) => c.trim().length > 0);
}

/** Where to end the current chunk: after the last blank line in its second half, else after all lines. */
function breakPoint(
  lines: Line[],
  reopen: string | undefined,
  limit: number,
  render: (part: Line[], opening: string | undefined) => string,
): number {
  for (let i = lines.length - 1; i > 0; i--) {
    const line = lines[i];
    if (line && line.text.trim() === "" && !line.openAfter) {
      if (render(lines.slice(0, i), reopen).length >= limit / 2) return i;
      break;
    }
  }
  return lines.length;
}

/** Lines with their fence state; a line too long for any chunk is cut between words first. */
function annotate(text: string, limit: number): Line[] {
  const out: Line[] = [];
  let open: string | undefined;
  for (const raw of text.split("\n")) {
    const fence = FENCE_LINE.exec(raw);
    if (fence) {
      if (!open) open = raw.trim();
      else if (raw.trim().startsWith(fenceOf(open)) && raw.trim().replace(/[`~]/g, "") === "")
        open = undefined;
      out.push({ text: raw, openAfter: open });
      continue;
    }
    // Inside a block, leave room for the reopened fence line before and the closing fence after.
    const room = open ? limit - open.length - fenceOf(open).length - 2 : limit;
    for (const piece of cutLongLine(raw, Math.max(20, room))) {
      out.push({ text: piece, openAfter: open });
    }
  }
  return out;
}

function cutLongLine(line: string, size: number): string[] {
  const parts: string[] = [];
  let rest = line;
  while (rest.length > size) {
    let cut = rest.lastIndexOf(" ", size);
    if (cut < size / 2) cut = size;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^ /, "");
  }
  parts.push(rest);
  return parts;
}

function fenceOf(openingLine: string): string {
  return FENCE_LINE.exec(openingLine)?.[1] ?? "```";
}
