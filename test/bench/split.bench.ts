// Reply splitting: how fast splitMessage cuts a 40 KB Markdown reply full of code blocks into
// platform-sized chunks, and whether every chunk still renders (no code fence left open). The
// baseline is the cheapest split there is, slicing every N characters: it bounds the speed any
// splitter can reach and shows what ignoring Markdown costs (fences cut in half).
import { splitMessage } from "../../src/relay/split.js";
import { type BenchResult, round } from "./table.js";

const LIMITS = [2000, 4096];
const REPLY_BYTES = 40 * 1024;
/** Each row runs for about this long (bounded by MAX_OPS too). */
const ROW_MS = 700;
const MAX_OPS = 20_000;

type Splitter = (text: string, limit: number) => string[];

const naiveSlice: Splitter = (text, limit) => {
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += limit) chunks.push(text.slice(i, i + limit));
  return chunks;
};

export async function benchSplit(): Promise<BenchResult> {
  const reply = markdownReply(REPLY_BYTES);
  const rows = [];
  let oursBroken = 0;
  let oursOver = 0;
  for (const limit of LIMITS) {
    for (const [name, split] of [
      ["ours (splitMessage)", splitMessage],
      ["baseline (slice every N)", naiveSlice],
    ] as const) {
      const { opsPerSecond, chunks } = measure(split, reply, limit);
      const broken = chunks.filter((c) => !fencesBalanced(c)).length;
      const over = chunks.filter((c) => c.length > limit).length;
      if (split === splitMessage) {
        oursBroken += broken;
        oursOver += over;
      }
      rows.push({
        splitter: name,
        limit,
        "ops/s": round(opsPerSecond, 0),
        chunks: chunks.length,
        "chunks with unbalanced ```": broken,
        "chunks over limit": over,
      });
    }
  }
  const ok = oursBroken === 0 && oursOver === 0;
  return {
    title: `Reply splitting: one ${round(reply.length / 1024, 1)} KB Markdown reply with code blocks`,
    rows,
    ok,
    verdict: ok
      ? "ours leaves no code fence open and no chunk over the limit; the naive slice breaks fences"
      : `ours produced ${oursBroken} chunk(s) with an open fence and ${oursOver} over the limit`,
  };
}

function measure(split: Splitter, text: string, limit: number): { opsPerSecond: number; chunks: string[] } {
  let chunks = split(text, limit);
  const started = performance.now();
  let ops = 0;
  while (ops < MAX_OPS && performance.now() - started < ROW_MS) {
    chunks = split(text, limit);
    ops++;
  }
  return { opsPerSecond: ops / ((performance.now() - started) / 1000), chunks };
}

/** True when every fenced block opened in the chunk is closed in it (CommonMark fence rules, simplified). */
export function fencesBalanced(chunk: string): boolean {
  let open: string | undefined;
  for (const line of chunk.split("\n")) {
    const fence = /^\s*(`{3,}|~{3,})(.*)$/.exec(line);
    if (!fence) continue;
    const marker = fence[1]!;
    if (!open) open = marker;
    else if (marker[0] === open[0] && marker.length >= open.length && fence[2]!.trim() === "")
      open = undefined;
  }
  return open === undefined;
}

/** A deterministic assistant-style reply: headings, prose, lists and code blocks, some longer than a chunk. */
export function markdownReply(bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let section = 1; size < bytes; section++) {
    const blocks = [
      `## Step ${section}: configure the worker`,
      prose(section, 3 + (section % 4)),
      list(section, 4 + (section % 3)),
      code(section, section % 3 === 0 ? 90 : 12 + (section % 5) * 4),
      prose(section + 1, 2),
    ];
    for (const block of blocks) {
      parts.push(block);
      size += block.length + 2;
    }
  }
  return parts
    .join("\n\n")
    .slice(0, bytes)
    .replace(/\s+\S*$/, "");
}

function prose(seed: number, sentences: number): string {
  const words = [
    "the",
    "queue",
    "retries",
    "each",
    "message",
    "until",
    "its",
    "reply",
    "is",
    "posted",
    "back",
  ];
  return Array.from({ length: sentences }, (_, i) => {
    const n = 12 + ((seed + i) % 9);
    const sentence = Array.from({ length: n }, (_, j) => words[(seed * 7 + i * 3 + j) % words.length]).join(
      " ",
    );
    return `${sentence[0]!.toUpperCase()}${sentence.slice(1)}.`;
  }).join(" ");
}

function list(seed: number, items: number): string {
  return Array.from(
    { length: items },
    (_, i) => `- item ${seed}.${i}: set \`option${i}\` to **${seed * i}**`,
  ).join("\n");
}

function code(seed: number, lines: number): string {
  const fence = seed % 4 === 0 ? "~~~" : "```";
  const lang = seed % 2 === 0 ? "ts" : "python";
  const body = Array.from(
    { length: lines },
    (_, i) => `  const value${i} = compute(${seed}, ${i}); // keeps line ${i} of block ${seed}`,
  );
  return [`${fence}${lang}`, ...body, fence].join("\n");
}
