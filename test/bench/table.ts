// Prints a bench's results as a markdown table, so a run's output can be pasted into a PR as is.

export type Cell = string | number | boolean;
export type Row = Record<string, Cell>;

export interface BenchResult {
  title: string;
  rows: Row[];
  /** One line saying whether ours met its goal against the baseline in this run. */
  verdict: string;
  /** True when the verdict is a pass. */
  ok: boolean;
}

export function markdownTable(rows: Row[]): string {
  const first = rows[0];
  if (!first) return "(no rows)";
  const columns = Object.keys(first);
  const text = (value: Cell | undefined) => (value === undefined ? "" : String(value));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => text(r[c]).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [
    line(columns),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map((r) => line(columns.map((c) => text(r[c])))),
  ].join("\n");
}

export function formatResult(result: BenchResult): string {
  return `## ${result.title}\n\n${markdownTable(result.rows)}\n\n${result.ok ? "PASS" : "FAIL"}: ${result.verdict}\n`;
}

/** Rounds for display: `digits` after the point. */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** The p-th percentile (0..100) of unsorted samples, nearest-rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
