// `npm run bench`: airlock's performance targets, measured against a local
// docker-registry (and skopeo where it does the same job). Prints a table.
import { lockBench } from "./lock-bench.js";
import { printTable, type BenchRow } from "./table.js";

const rows: BenchRow[] = [];
for (const bench of [lockBench]) rows.push(...(await bench()));
printTable(rows);
process.exitCode = rows.every((r) => r.pass !== false) ? 0 : 1;
