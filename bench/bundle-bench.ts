import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "../test/harness/registry.js";
import { pushWorkload } from "./medium.js";
import type { BenchRow } from "./table.js";
import { fmtMiB, fmtSeconds, measure, measureAll } from "./timing.js";
import { pushTinyImages } from "./workloads.js";

// The built bin, run directly as a user runs `airlock` (its shebang sets the V8 flags).
const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");

export interface BundleBenchState {
  dir: string;
  source: TestRegistry;
  mediumBundle: string;
  mediumRefs: string[];
  /** skopeo's OCI layout of the medium workload (for the push baseline). */
  skopeoLayout: string;
  tinyBundle: string;
  tinyCount: number;
}

/** create-bundle on the medium workload against skopeo copy --all into one OCI layout + tar; 200 tiny images. */
export async function bundleBench(): Promise<{ rows: BenchRow[]; state: BundleBenchState }> {
  const dir = await mkdtemp(join(tmpdir(), "airlock-bench-"));
  const source = await startRegistry("plain");
  const medium = await pushWorkload(source.host, { refs: 40, bases: 2, baseMiB: 100, appMiB: 6 });
  const list = join(dir, "medium.yaml");
  await writeFile(
    list,
    `defaults:\n  platforms: all\nimages:\n${medium.references.map((r) => `  - ${r}\n`).join("")}`,
  );
  await measure(CLI, ["lock", "-f", list, "--cache", join(dir, "cache")]);
  const mediumBundle = join(dir, "medium.tar");
  const ours = await measure(CLI, [
    "create-bundle",
    "-f",
    list,
    "-o",
    mediumBundle,
    "--cache",
    join(dir, "cache"),
    "--quiet",
  ]);

  const layout = join(dir, "skopeo-layout");
  await mkdir(layout);
  const copies: [string, string[]][] = medium.references.map((ref, i) => [
    "skopeo",
    ["copy", "--all", "--src-tls-verify=false", `docker://${ref}`, `oci:${layout}:image-${i}`],
  ]);
  const skopeoCopy = await measureAll(copies);
  const skopeoTar = (await measure("tar", ["-cf", join(dir, "skopeo.tar"), "-C", layout, "."])).seconds;
  const skopeo = skopeoCopy + skopeoTar;

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
  const gb = (medium.uniqueBytes / 1e9).toFixed(2);
  const rows: BenchRow[] = [
    {
      name: `create-bundle, medium (${medium.references.length} refs x 3 platforms, ${gb} GB unique)`,
      airlock: fmtSeconds(ours.seconds),
      skopeo: `${fmtSeconds(skopeo)} (copy --all + tar)`,
      target: "≤ 1/3 of skopeo",
      pass: ours.seconds <= skopeo / 3,
    },
    {
      name: "create-bundle, medium: peak RSS",
      airlock: fmtMiB(ours.rssMiB),
      target: "≤ 150 MiB",
      pass: ours.rssMiB <= 150,
    },
    {
      name: "create-bundle, 200 tiny images: per image",
      airlock: `${((tiny.seconds * 1000) / 200).toFixed(1)} ms`,
      target: "≤ 15 ms",
      pass: (tiny.seconds * 1000) / 200 <= 15,
    },
  ];
  return {
    rows,
    state: {
      dir,
      source,
      mediumBundle,
      mediumRefs: medium.references,
      skopeoLayout: layout,
      tinyBundle,
      tinyCount: 200,
    },
  };
}
