// The 5 GB workload (opt-in, `npm run bench -- --large` or AIRLOCK_BENCH_LARGE=1: generating it
// takes a few minutes the first time, and each run writes 10 GB): create-bundle cold from the list,
// beside the floor, once each (after an untimed floor run), against the medium run's median.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CLI, listYaml } from "./cold-bench.js";
import { LARGE } from "./medium.js";
import type { BenchRow } from "./table.js";
import { fmtMiB, fmtRatio, fmtSeconds, measure } from "./timing.js";
import { serveWorkload } from "./workload-cache.js";

const FLOOR = join(import.meta.dirname, "floor-download.ts");

/** Whether this run includes the large workload. */
export function largeWanted(argv: readonly string[] = process.argv): boolean {
  return argv.includes("--large") || process.env.AIRLOCK_BENCH_LARGE === "1";
}

/** The large rows: time against `mediumSeconds` (the medium cold median) and peak RSS. */
export async function largeBench(dir: string, mediumSeconds: number): Promise<BenchRow[]> {
  const workload = await serveWorkload(LARGE, (line) => console.error(`bench: ${line}`));
  const at = join(dir, "large");
  try {
    await mkdir(at, { recursive: true });
    const contents = join(at, "contents.json");
    await writeFile(contents, JSON.stringify(workload.contents));
    const host = workload.registry.host;
    const floor = async (): Promise<number> => {
      const files = join(at, "floor");
      const tar = join(at, "floor.tar");
      const { stdout } = await measure("node", ["--import", "tsx", FLOOR, contents, host, files, tar]);
      await rm(files, { recursive: true, force: true });
      await rm(tar, { force: true });
      return Number(stdout.trim());
    };
    await floor(); // untimed: the first gigabytes of fresh page cache (see cold-bench.ts)
    const list = join(at, "large.yaml");
    await writeFile(list, listYaml(workload.refs));
    const bundle = join(at, "large.tar");
    const args = ["create-bundle", "-f", list, "-o", bundle, "--cache", join(at, "cache"), "--quiet"];
    const ours = await measure(CLI, args);
    await rm(join(at, "cache"), { recursive: true, force: true });
    await rm(bundle, { force: true });
    const floorSeconds = await floor();
    const gb = (workload.uniqueBytes / 1e9).toFixed(2);
    const times = ours.seconds / mediumSeconds;
    return [
      {
        name: `create-bundle, large, cold: list to bundle (${gb} GB unique; beside the medium run's median)`,
        airlock: fmtSeconds(ours.seconds),
        floor: fmtSeconds(floorSeconds),
        ratio: `${times.toFixed(2)}× medium, ${fmtRatio(ours.seconds, floorSeconds, "floor")}`,
        target: "≤ 4.5× medium",
        pass: times <= 4.5,
      },
      {
        name: "create-bundle, large: peak RSS",
        airlock: fmtMiB(ours.rssMiB),
        target: "≤ 150 MiB",
        pass: ours.rssMiB <= 150,
      },
    ];
  } finally {
    await workload.registry.stop();
    await rm(at, { recursive: true, force: true });
  }
}
