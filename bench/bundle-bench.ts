import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestRegistry } from "../test/harness/registry.js";
import { CLI, coldRounds, type ColdRuns } from "./cold-bench.js";
import { MEDIUM } from "./medium.js";
import type { BenchRow } from "./table.js";
import { fmtDurable, fmtMiB, fmtRatio, fmtRuns, measure, median, medianToDisk } from "./timing.js";
import { warmRounds, type WarmRuns } from "./warm-bench.js";
import { serveWorkload, type ServedWorkload } from "./workload-cache.js";
import { pushTinyImages } from "./workloads.js";

/** Rounds of each contender; the median of each is compared. */
const ROUNDS = 3;

export interface BundleBenchState {
  dir: string;
  source: TestRegistry;
  mediumBundle: string;
  /** The cache of the last cold round, which recorded mediumBundle. */
  mediumCache: string;
  mediumRefs: string[];
  /** skopeo's OCI layout of the medium workload (for the push baseline). */
  skopeoLayout: string;
  tinyBundle: string;
  tinyCount: number;
  /** The medium cold create-bundle's median seconds (the large row's yardstick). */
  mediumColdSeconds: number;
}

/**
 * create-bundle on the medium workload, cold (against skopeo copy --all into one OCI layout +
 * tar, and the bare-download floor) and warm (against a plain tar); 200 tiny images.
 */
export async function bundleBench(): Promise<{ rows: BenchRow[]; state: BundleBenchState }> {
  const dir = await mkdtemp(join(tmpdir(), "airlock-bench-"));
  const medium = await serveWorkload(MEDIUM, (line) => console.error(`bench: ${line}`));
  const source = medium.registry;
  const cold = await coldRounds(dir, medium, ROUNDS);
  const warm = await warmRounds(dir, cold.last, source, ROUNDS);

  const tinyRefs = await pushTinyImages(source.url, source.host, 200);
  const tinyList = join(dir, "tiny.yaml");
  await writeFile(tinyList, `images:\n${tinyRefs.map((r) => `  - ${r}\n`).join("")}`);
  await measure(CLI, ["lock", "-f", tinyList, "--cache", join(dir, "cache-tiny")]);
  const tinyBundle = join(dir, "tiny.tar");
  const tiny = await measure(CLI, [
    "create-bundle",
    "-f",
    tinyList,
    "-o",
    tinyBundle,
    "--cache",
    join(dir, "cache-tiny"),
    "--quiet",
  ]);
  const perTiny = (tiny.seconds * 1000) / 200;
  const rows: BenchRow[] = [
    ...mediumRows(medium, cold, warm),
    {
      name: "create-bundle, 200 tiny images: per image",
      airlock: `${perTiny.toFixed(1)} ms`,
      target: "≤ 10 ms",
      pass: perTiny <= 10,
    },
  ];
  return {
    rows,
    state: {
      dir,
      source,
      mediumBundle: cold.last.bundle,
      mediumCache: cold.last.cache,
      mediumRefs: medium.refs,
      skopeoLayout: cold.last.layout,
      tinyBundle,
      tinyCount: 200,
      mediumColdSeconds: median(cold.airlock.map((m) => m.seconds)),
    },
  };
}

/**
 * The medium rows: cold beside skopeo and the floor, warm beside tar, its blob GETs, peak RSS. Each
 * time is also given "to disk" (with the sync after it): airlock and skopeo fsync what they write,
 * GNU tar and the floor leave it to the page cache; the targets compare the times as measured.
 */
function mediumRows(medium: ServedWorkload, cold: ColdRuns, warm: WarmRuns): BenchRow[] {
  const gb = (medium.uniqueBytes / 1e9).toFixed(2);
  const coldSeconds = cold.airlock.map((m) => m.seconds);
  const warmSeconds = warm.airlock.map((m) => m.seconds);
  const ours = median(coldSeconds);
  const skopeo = median(cold.skopeo);
  const floor = median(cold.floor);
  const warmOurs = median(warmSeconds);
  const tar = median(warm.tar);
  const gets = Math.max(...warm.blobGets);
  const rss = Math.max(...[...cold.airlock, ...warm.airlock].map((m) => m.rssMiB));
  const coldDisk = {
    ours: medianToDisk(coldSeconds, cold.syncs.airlock),
    skopeo: medianToDisk(cold.skopeo, cold.syncs.skopeo),
    floor: medianToDisk(cold.floor, cold.syncs.floor),
  };
  const warmDisk = {
    ours: medianToDisk(warmSeconds, warm.syncs.airlock),
    tar: medianToDisk(warm.tar, warm.syncs.tar),
  };
  return [
    {
      name: `create-bundle, medium, cold: list to bundle (${medium.references.length} refs, ${medium.images} images, ${gb} GB unique)`,
      airlock: `${fmtRuns(coldSeconds)}; ${fmtDurable(coldSeconds, cold.syncs.airlock)}`,
      skopeo: `${fmtRuns(cold.skopeo)}; ${fmtDurable(cold.skopeo, cold.syncs.skopeo)}`,
      floor: `${fmtRuns(cold.floor)}; ${fmtDurable(cold.floor, cold.syncs.floor)}`,
      ratio:
        `${fmtRatio(ours, floor, "floor")}, ${fmtRatio(ours, skopeo, "skopeo")}; to disk ` +
        `${fmtRatio(coldDisk.ours, coldDisk.floor, "floor")}, ${fmtRatio(coldDisk.ours, coldDisk.skopeo, "skopeo")}`,
      target: "≤ 1.2× floor, ≤ 0.40× skopeo",
      pass: ours <= floor * 1.2 && ours <= skopeo * 0.4,
    },
    {
      name: "create-bundle, medium, every blob cached",
      airlock: `${fmtRuns(warmSeconds)}; ${fmtDurable(warmSeconds, warm.syncs.airlock)}`,
      floor: `${fmtRuns(warm.tar)}; ${fmtDurable(warm.tar, warm.syncs.tar)}, plain tar`,
      ratio: `${fmtRatio(warmOurs, tar, "tar")}; to disk ${fmtRatio(warmDisk.ours, warmDisk.tar, "tar")}`,
      target: "≤ 1.2× tar",
      pass: warmOurs <= tar * 1.2,
    },
    {
      name: "create-bundle, medium, every blob cached: blob GETs at the registry",
      airlock: `${gets} (runs: ${warm.blobGets.join(", ")})`,
      target: "0",
      pass: gets === 0,
    },
    {
      name: "create-bundle, medium: peak RSS (cold and warm)",
      airlock: fmtMiB(rss),
      target: "≤ 150 MiB",
      pass: rss <= 150,
    },
  ];
}
