import { join } from "node:path";
import { startRegistry } from "../test/harness/registry.js";
import type { BundleBenchState } from "./bundle-bench.js";
import type { BenchRow } from "./table.js";
import { fmtMiB, fmtSeconds, measure, measureAll } from "./timing.js";

// The built bin, run directly as a user runs `airlock` (its shebang sets the V8 flags).
const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");

/** push-bundle of the medium bundle into an empty registry against skopeo copy --all oci:… of each image; tiny images; verify speed. */
export async function pushBench(state: BundleBenchState): Promise<BenchRow[]> {
  const ours = await startRegistry("plain");
  const theirs = await startRegistry("plain");
  const tinyTarget = await startRegistry("plain");
  try {
    const journal = join(state.dir, "journal.jsonl");
    const push = await measure(CLI, [
      "push-bundle",
      state.mediumBundle,
      "--to",
      ours.host,
      "--quiet",
      "--journal",
      journal,
    ]);
    const copies: [string, string[]][] = state.mediumRefs.map((ref, i) => [
      "skopeo",
      [
        "copy",
        "--all",
        "--dest-tls-verify=false",
        `oci:${state.skopeoLayout}:image-${i}`,
        `docker://${theirs.host}/${ref.split("/").slice(1).join("/")}`,
      ],
    ]);
    const skopeo = await measureAll(copies);
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
    return [
      {
        name: "push-bundle, medium, into an empty registry",
        airlock: fmtSeconds(push.seconds),
        skopeo: `${fmtSeconds(skopeo)} (copy --all oci: per image)`,
        target: "≤ 0.45 of skopeo",
        pass: push.seconds <= skopeo * 0.45,
      },
      {
        name: "push-bundle, medium: peak RSS",
        airlock: fmtMiB(push.rssMiB),
        target: "≤ 150 MiB",
        pass: push.rssMiB <= 150,
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
    await Promise.all([ours.stop(), theirs.stop(), tinyTarget.stop()]);
  }
}
