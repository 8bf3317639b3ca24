export interface BenchRow {
  name: string;
  airlock: string;
  target: string;
  skopeo?: string;
  /** What the machine allows for the same job (a bare client, or a plain tar). */
  floor?: string;
  /** airlock's figure over the floor's and skopeo's. */
  ratio?: string;
  /** undefined when the row has no target. */
  pass?: boolean;
}

/** A plain table on stdout: what was measured, beside skopeo and the floor, the target and whether it was met. */
export function printTable(rows: BenchRow[]): void {
  const header: BenchRow = {
    name: "benchmark",
    airlock: "airlock",
    skopeo: "skopeo",
    floor: "floor",
    ratio: "ratio",
    target: "target",
  };
  const cells = (r: BenchRow): string[] => [
    r.name,
    r.airlock,
    r.skopeo ?? "-",
    r.floor ?? "-",
    r.ratio ?? "-",
    r.target,
    r === header ? "result" : r.pass === undefined ? "-" : r.pass ? "met" : "MISSED",
  ];
  const all = [header, ...rows].map(cells);
  const widths = all[0]?.map((_, i) => Math.max(...all.map((row) => row[i]?.length ?? 0))) ?? [];
  const line = (row: string[]): string =>
    "| " + row.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ") + " |";
  console.log(line(all[0] ?? []));
  console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  for (const row of all.slice(1)) console.log(line(row));
}

/** Wall time of `fn` in milliseconds. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}
