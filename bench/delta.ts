// Delta bundles on the medium workload with one image changed: one single-platform reference gets
// a new app layer (and so a new config and manifest) under a new tag; list 2 is the workload with
// that reference swapped for the changed one. create-bundle of list 2 --since the workload's lock
// (taken from the full bundle) against a full create-bundle of list 2, both over the cold rounds'
// cache (warm: it holds every blob, large ones inside the full bundle it recorded), alternating, in
// rounds; and once --since the full bundle's tar itself (named by the sha256 the cache recorded).
import { createHash } from "node:crypto";
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BundleReader } from "../src/store/bundle-reader.js";
import type { ImageConfig, ImageManifest } from "../src/oci/types.js";
import { blobPush, manifestGet, manifestPut } from "../test/harness/fixture-push.js";
import { buildLayer, jsonBlob, toBlob } from "../test/harness/image-builder.js";
import type { TestRegistry } from "../test/harness/registry.js";
import type { BundleBenchState } from "./bundle-bench.js";
import { CLI, listYaml } from "./cold-bench.js";
import type { BenchRow } from "./table.js";
import { fmtRatio, fmtRuns, measure, median } from "./timing.js";

const ROUNDS = 3;
const MiB = 1024 * 1024;

/** The delta rows: its size and its creation time against a full bundle of the same list. */
export async function deltaBench(state: BundleBenchState): Promise<BenchRow[]> {
  const dir = join(state.dir, "delta");
  await mkdir(dir, { recursive: true });
  const changed = state.mediumRefs.find((r) => r.includes("/bench/tool-"));
  if (changed === undefined) throw new Error("the medium workload has no single-platform reference");
  const replacement = await changeImage(state.source, changed);
  const list = join(dir, "list2.yaml");
  await writeFile(list, listYaml(state.mediumRefs.map((r) => (r === changed ? replacement : r))));
  const baseLock = join(dir, "base.lock");
  const lockBytes = (await BundleReader.open(state.mediumBundle)).index.metadata.get("airlock.lock");
  if (lockBytes === undefined) throw new Error(`${state.mediumBundle} carries no lock`);
  await writeFile(baseLock, lockBytes);
  const cache = state.mediumCache;
  const bundle = (out: string, ...extra: string[]): Promise<{ seconds: number; stdout: string }> =>
    measure(CLI, ["create-bundle", "-f", list, "-o", join(dir, out), "--cache", cache, ...extra]);
  // Untimed: the lock of list 2, and the new layer into the cache (inside prep.tar, kept for that).
  await bundle("prep.tar", "--quiet");
  const full: number[] = [];
  const delta: number[] = [];
  let sizes = { full: 0, delta: 0, blobs: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const runFull = async (): Promise<void> => {
      full.push((await bundle("full.tar", "--quiet")).seconds);
      sizes.full = (await stat(join(dir, "full.tar"))).size;
      await rm(join(dir, "full.tar"));
    };
    const runDelta = async (): Promise<void> => {
      const m = await bundle("delta.tar", "--since", baseLock, "--json", "--quiet");
      delta.push(m.seconds);
      const result = JSON.parse(m.stdout) as { size: number; blobs: number };
      sizes = { ...sizes, delta: result.size, blobs: result.blobs };
      await rm(join(dir, "delta.tar"));
    };
    for (const step of round % 2 === 0 ? [runFull, runDelta] : [runDelta, runFull]) await step();
  }
  const sinceTar = await bundle("delta-tar.tar", "--since", state.mediumBundle, "--quiet");
  await rm(dir, { recursive: true, force: true });
  const [d, f] = [median(delta), median(full)];
  const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;
  return [
    {
      name: "create-bundle --since, medium with one image changed: delta size",
      airlock: `${mib(sizes.delta)} (${sizes.blobs} blobs and every manifest)`,
      floor: `${mib(sizes.full)}, full bundle`,
      ratio: `${((100 * sizes.delta) / sizes.full).toFixed(2)}% of full`,
      target: "only the changed image's config and layer",
      pass: sizes.blobs === 2,
    },
    {
      name: "create-bundle --since LOCK, medium with one image changed: time, warm cache",
      airlock: fmtRuns(delta),
      floor: `${fmtRuns(full)}, full bundle`,
      ratio: fmtRatio(d, f, "full"),
      target: "< full",
      pass: d < f,
    },
    {
      name: "create-bundle --since BUNDLE.tar (the full bundle, recorded by the cache): time, warm cache",
      airlock: fmtRuns([sinceTar.seconds]),
      floor: `${fmtRuns(full)}, full bundle`,
      ratio: fmtRatio(sinceTar.seconds, f, "full"),
      target: "-",
    },
  ];
}

/**
 * Pushes `reference` again under `<tag>-changed` with its top layer replaced by a new 4 MiB one
 * (config and manifest rebuilt over it); returns the new reference.
 */
async function changeImage(registry: TestRegistry, reference: string): Promise<string> {
  const path = reference.slice(registry.host.length + 1);
  const [repository = "", tag = ""] = path.split(":");
  const old = await manifestGet(registry.url, repository, tag);
  const manifest = JSON.parse(old.bytes.toString("utf8")) as ImageManifest;
  const res = await fetch(`${registry.url}/v2/${repository}/blobs/${manifest.config.digest}`);
  const config = (await res.json()) as ImageConfig & { rootfs: { diff_ids: string[] } };
  const layer = await buildLayer([
    { path: "app/" },
    { path: "app/changed", content: pseudoRandomText(4 * MiB) },
  ]);
  const last = manifest.layers.length - 1;
  const top = manifest.layers[last];
  if (top === undefined) throw new Error(`${reference} has no layers`);
  config.rootfs.diff_ids[last] = layer.diffId;
  const newConfig = jsonBlob(config);
  await blobPush(registry.url, repository, layer);
  await blobPush(registry.url, repository, newConfig);
  const next: ImageManifest = {
    ...manifest,
    config: { ...manifest.config, digest: newConfig.digest, size: newConfig.size },
    layers: manifest.layers.map((l, i) =>
      i === last ? { ...l, digest: layer.digest, size: layer.size } : l,
    ),
  };
  const bytes = Buffer.from(JSON.stringify(next));
  await manifestPut(registry.url, repository, `${tag}-changed`, {
    ...toBlob(bytes),
    mediaType: old.mediaType,
  });
  return `${reference}-changed`;
}

/** `bytes` characters of base64 from a sha256 chain: incompressible enough to stand for an app. */
function pseudoRandomText(bytes: number): string {
  const chunks: Buffer[] = [];
  let block = createHash("sha256").update("airlock-bench-delta").digest();
  for (let n = 0; n * 24 < bytes; n++) {
    block = createHash("sha256").update(block).digest();
    chunks.push(block.subarray(0, 24));
  }
  return Buffer.concat(chunks).toString("base64").slice(0, bytes);
}
