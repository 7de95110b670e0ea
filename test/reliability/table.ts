// Prints the fault suite's results as one table, and writes them as JSON where asked.
import { writeFileSync } from "node:fs";
import type { Row } from "./harness.js";

const COLUMNS: Array<[string, (r: Row) => string]> = [
  ["fault", (r) => r.fault],
  ["store", (r) => r.store],
  ["platform", (r) => r.platform],
  ["sent", (r) => String(r.sent)],
  ["answered", (r) => String(r.answered)],
  ["duplicated", (r) => String(r.duplicated)],
  ["lost", (r) => String(r.lost)],
  ["out-of-order", (r) => String(r.outOfOrder)],
  ["kills in window", (r) => String(r.killsInWindow)],
  ["s", (r) => String(r.seconds)],
  ["notes", (r) => r.notes],
];

export function renderTable(rows: Row[]): string {
  const cells = rows.map((r) => COLUMNS.map(([, cell]) => cell(r)));
  const widths = COLUMNS.map(([title], i) => Math.max(title.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i]!)).join(" | ")} |`;
  return [
    line(COLUMNS.map(([title]) => title)),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...cells.map(line),
  ].join("\n");
}

export function writeResults(path: string, seed: number, rows: Row[]): void {
  writeFileSync(path, `${JSON.stringify({ seed, at: new Date().toISOString(), rows }, null, 2)}\n`);
}
