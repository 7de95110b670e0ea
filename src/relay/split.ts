// Splits a long Markdown reply into chunks a platform accepts, never longer than the limit whatever
// the input. A fenced code block that fits in one chunk moves whole to the next chunk rather than
// being cut; otherwise a chunk ends at a paragraph break in its second half, else at a line break,
// else between words. A block that must be split is closed at the end of one chunk and reopened with
// the same fence line at the start of the next. A fence line too long to repeat keeps only as much
// of its info string (the invisible language hint) as fits.

const FENCE_LINE = /^\s*(`{3,}|~{3,})/;

interface Line {
  text: string;
  /** The fence line that is open after this line, if any. */
  openAfter?: string;
  /** Index of the fenced block (opening to closing line) this line belongs to. */
  block?: number;
}

interface Block {
  start: number;
  /** Length of the block as a chunk of its own (closing fence added if the reply never closes it). */
  size: number;
}

export function splitMessage(text: string, limit: number): string[] {
  if (limit < 40) throw new RangeError("split limit must be at least 40 characters");
  const trimmed = text.replace(/\s+$/, "");
  if (trimmed.length <= limit) return trimmed.trim().length > 0 ? [trimmed] : [];

  const { lines, blocks } = annotate(trimmed, limit);
  const chunks: string[] = [];
  let start = 0;
  while (start < lines.length) {
    const reopen = start > 0 ? lines[start - 1]!.openAfter : undefined;
    if (!reopen && lines[start]!.text.trim() === "") {
      start++;
      continue;
    }
    const head = reopen ? reopen.length + 1 : 0;
    let body = lines[start]!.text.length;
    let end = start + 1;
    while (end < lines.length) {
      const next = body + 1 + lines[end]!.text.length;
      if (head + next + closing(lines[end]!) > limit) break;
      body = next;
      end++;
    }
    if (end < lines.length) end = breakPoint(lines, blocks, start, end, head, limit);
    chunks.push(render(lines, start, end, reopen));
    start = end;
  }
  return chunks.map((c) => c.replace(/\s+$/, "")).filter((c) => c.trim().length > 0);
}

function closing(line: Line): number {
  return line.openAfter ? fenceOf(line.openAfter).length + 1 : 0;
}

function render(lines: Line[], start: number, end: number, reopen: string | undefined): string {
  const close = lines[end - 1]?.openAfter;
  const body = lines
    .slice(start, end)
    .map((l) => l.text)
    .join("\n");
  return `${reopen ? `${reopen}\n` : ""}${body}${close ? `\n${fenceOf(close)}` : ""}`;
}

/**
 * Where to end the chunk [start, end) that line `end` did not fit in: before a block the cut would
 * split if that block fits in a chunk of its own; else after the last blank line in the chunk's
 * second half; else before a block's opening line that would end the chunk; else at `end`.
 */
function breakPoint(
  lines: Line[],
  blocks: Block[],
  start: number,
  end: number,
  head: number,
  limit: number,
): number {
  const split = lines[end]!.block;
  if (split !== undefined) {
    const block = blocks[split]!;
    if (block.start > start && block.start < end && block.size <= limit) return block.start;
  }
  let size = head;
  const offsets: number[] = [];
  for (let i = start; i < end; i++) {
    offsets.push(size);
    size += lines[i]!.text.length + 1;
  }
  for (let i = end - 1; i > start; i--) {
    const line = lines[i]!;
    if (line.text.trim() === "" && line.block === undefined) {
      if (offsets[i - start]! >= limit / 2) return i;
      break;
    }
  }
  const last = lines[end - 1]!;
  if (last.block !== undefined && blocks[last.block]!.start === end - 1 && end - 1 > start) return end - 1;
  return end;
}

/**
 * Lines with their fence state. Fence lines are kept short enough to repeat (at most a quarter of
 * the limit); any other line too long for a chunk, with its block's fences around it, is cut
 * between words.
 */
function annotate(text: string, limit: number): { lines: Line[]; blocks: Block[] } {
  const lines: Line[] = [];
  const blocks: Block[] = [];
  const maxFence = Math.floor(limit / 4);
  let open: string | undefined;
  for (const raw of text.split("\n")) {
    const marker = FENCE_LINE.exec(raw)?.[1];
    if (marker && marker.length <= maxFence) {
      if (!open) {
        open = raw.length > maxFence ? raw.trimStart().slice(0, maxFence) : raw;
        blocks.push({ start: lines.length, size: 0 });
        lines.push({ text: open, openAfter: open, block: blocks.length - 1 });
        continue;
      }
      const trimmed = raw.trim();
      if (trimmed.startsWith(fenceOf(open)) && trimmed.replace(/[`~]/g, "") === "") {
        const text = raw.length > maxFence ? fenceOf(open) : raw;
        lines.push({ text, block: blocks.length - 1 });
        open = undefined;
        continue;
      }
    }
    // Inside a block, leave room for the reopened fence line before and the closing fence after.
    const room = open ? limit - open.length - fenceOf(open).length - 2 : limit;
    for (const piece of cutLongLine(raw, room)) {
      lines.push({ text: piece, openAfter: open, ...(open && { block: blocks.length - 1 }) });
    }
  }
  for (const [index, block] of blocks.entries()) {
    let size = -1;
    let i = block.start;
    for (; i < lines.length && lines[i]!.block === index; i++) size += lines[i]!.text.length + 1;
    block.size = size + closing(lines[i - 1]!);
  }
  return { lines, blocks };
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
