import { join } from "node:path";
import { startRegistry } from "../test/harness/registry.js";
import type { BundleBenchState } from "./bundle-bench.js";
import { CLI } from "./cold-bench.js";
import type { BenchRow } from "./table.js";
import { fmtMiB, fmtRatio, fmtSeconds, measure, measureScript, type Measured } from "./timing.js";

/**
 * Each side pushes the medium bundle this many times, alternating, each into a fresh registry
 * whose storage is removed afterwards; the better run of each is compared. On these VMs guest
 * RAM is backed lazily: writing into a page the guest has never touched costs a host fault
 * (writing 6 GB of page cache took 18 s into fresh pages, 3.9 s into reused ones), so whichever
 * push runs first in a fresh VM pays for memory the other one gets warm.
 */
const ROUNDS = 2;

/** push-bundle of the medium bundle into an empty registry against skopeo copy --all oci:… of each image; tiny images; verify speed. */
export async function pushBench(state: BundleBenchState): Promise<BenchRow[]> {
  const tinyTarget = await startRegistry("plain");
  try {
    const ours: Measured[] = [];
    const theirs: number[] = [];
    const floors: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      ours.push(await airlockPush(state, round));
      theirs.push(await skopeoPush(state));
      floors.push(await floorPush(state));
    }
    const push = Math.min(...ours.map((m) => m.seconds));
    const skopeo = Math.min(...theirs);
    const rss = Math.max(...ours.map((m) => m.rssMiB));
    const tiny = await measure(CLI, [
      "push-bundle",
      state.tinyBundle,
      "--to",
      tinyTarget.host,
      "--quiet",
      "--journal",
      join(state.dir, "j2.jsonl"),
    ]);
    const verify = await measure(CLI, ["verify-bundle", state.mediumBundle]);
    const { size } = await import("node:fs/promises").then((fs) => fs.stat(state.mediumBundle));
    const mbps = size / 1e6 / verify.seconds;
    const perTiny = (tiny.seconds * 1000) / state.tinyCount;
    const floor = Math.min(...floors);
    return [
      {
        name: "push-bundle, medium, into an empty registry (best of 2)",
        airlock: `${fmtSeconds(push)} (runs: ${ours.map((m) => m.seconds.toFixed(2)).join(", ")})`,
        skopeo: `${fmtSeconds(skopeo)} (runs: ${theirs.map((t) => t.toFixed(2)).join(", ")})`,
        floor: `${fmtSeconds(floor)} (runs: ${floors.map((t) => t.toFixed(2)).join(", ")})`,
        ratio: `${fmtRatio(push, floor, "floor")}, ${fmtRatio(push, skopeo, "skopeo")}`,
        target: "≤ 0.45× skopeo",
        pass: push <= skopeo * 0.45,
      },
      {
        name: "push-bundle, medium: peak RSS",
        airlock: fmtMiB(rss),
        target: "≤ 150 MiB",
        pass: rss <= 150,
      },
      {
        name: "push-bundle, 200 tiny images: per image",
        airlock: `${perTiny.toFixed(1)} ms`,
        target: "≤ 40 ms",
        pass: perTiny <= 40,
      },
      {
        name: "verify-bundle, medium, page-cached",
        airlock: `${mbps.toFixed(0)} MB/s`,
        target: "≥ 700 MB/s",
        pass: mbps >= 700,
      },
    ];
  } finally {
    await tinyTarget.stop();
  }
}

/** One airlock push-bundle of the medium bundle into a fresh registry, removed afterwards. */
async function airlockPush(state: BundleBenchState, round: number): Promise<Measured> {
  const target = await startRegistry("plain");
  try {
    const journal = join(state.dir, `journal-${round}.jsonl`);
    return await measure(CLI, [
      "push-bundle",
      state.mediumBundle,
      "--to",
      target.host,
      "--quiet",
      "--journal",
      journal,
    ]);
  } finally {
    await target.stop();
  }
}

/** bench/floor-upload.ts into a fresh registry, removed afterwards: seconds it took to store every blob. */
async function floorPush(state: BundleBenchState): Promise<number> {
  const target = await startRegistry("plain");
  try {
    const client = join(import.meta.dirname, "floor-upload.ts");
    const { stdout } = await measure("node", ["--import", "tsx", client, state.mediumBundle, target.host]);
    return Number(stdout.trim());
  } finally {
    await target.stop();
  }
}

/** skopeo copy --all oci:… of each image of the medium workload (one script) into a fresh registry, removed afterwards. */
async function skopeoPush(state: BundleBenchState): Promise<number> {
  const target = await startRegistry("plain");
  try {
    const copies = state.mediumRefs.map(
      (ref, i) =>
        `skopeo copy --quiet --all --dest-tls-verify=false oci:${state.skopeoLayout}:image-${i} ` +
        `docker://${target.host}/${ref.split("/").slice(1).join("/")}`,
    );
    return await measureScript(join(state.dir, "skopeo-push.sh"), copies);
  } finally {
    await target.stop();
  }
}
