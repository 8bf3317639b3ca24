// `npm run bench`: airlock's performance targets, measured against a local
// docker-registry and, where it does the same job, skopeo. Prints a table. With `-- --large` (or
// AIRLOCK_BENCH_LARGE=1) it adds the 5 GB workload (large-bench.ts).
import { chmod, rm } from "node:fs/promises";
import { bundleBench } from "./bundle-bench.js";
import { CLI } from "./cold-bench.js";
import { largeBench, largeWanted } from "./large-bench.js";
import { lockBench } from "./lock-bench.js";
import { pushBench } from "./push-bench.js";
import { serveBench } from "./serve-bench.js";
import { printTable, type BenchRow } from "./table.js";

// The bench runs the bin as a user does; npm makes it executable when it installs the package, tsc does not.
await chmod(CLI, 0o755);
const rows: BenchRow[] = [];
rows.push(...(await lockBench()));
const bundle = await bundleBench();
rows.push(...bundle.rows);
try {
  rows.push(...(await (await import("./delta.js")).deltaBench(bundle.state)));
  if (largeWanted()) rows.push(...(await largeBench(bundle.state.dir, bundle.state.mediumColdSeconds)));
  rows.push(...(await pushBench(bundle.state)));
} finally {
  await bundle.state.source.stop();
  await rm(bundle.state.dir, { recursive: true, force: true });
}
rows.push(...(await serveBench()));
printTable(rows);
process.exitCode = rows.every((r) => r.pass !== false) ? 0 : 1;
