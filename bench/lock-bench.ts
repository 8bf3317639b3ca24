import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runAirlock } from "../test/harness/cli.js";
import { startRegistry } from "../test/harness/registry.js";
import { timed, type BenchRow } from "./table.js";
import { pushTinyImages } from "./workloads.js";

const COUNT = 200;
const TARGET_MS = 2000;

/** Issue 3's target: locking 200 single-platform images on the local registry in ≤ 2 s (CLI wall time). */
export async function lockBench(): Promise<BenchRow[]> {
  const registry = await startRegistry("plain");
  const dir = await mkdtemp(join(tmpdir(), "airlock-bench-"));
  try {
    const refs = await pushTinyImages(registry.url, registry.host, COUNT);
    const list = join(dir, "airlock.yaml");
    await writeFile(list, `images:\n${refs.map((r) => `  - ${r}\n`).join("")}`);
    let failure = "";
    const ms = await timed(async () => {
      const res = await runAirlock(["lock", "-f", list, "--concurrency", "16"]);
      if (res.code !== 0) failure = res.stderr;
    });
    if (failure) throw new Error(`airlock lock failed: ${failure}`);
    return [
      {
        name: `lock ${COUNT} single-platform images (CLI, cold)`,
        airlock: `${(ms / 1000).toFixed(2)} s`,
        target: `≤ ${TARGET_MS / 1000} s`,
        pass: ms <= TARGET_MS,
      },
    ];
  } finally {
    await registry.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
