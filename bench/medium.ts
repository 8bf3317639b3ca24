// The bench's workloads, made of real layers (gzip tars of files with correct diff_ids; see
// layer-file.ts). The medium one: 40 references × 3 platforms, half OCI indexes of OCI manifests
// and half Docker manifest lists of Docker schema2 manifests, plus 8 single-manifest references
// (linux/amd64, OCI and Docker). Every platform image stacks a shared base (an OS layer and a
// runtime layer, one of `bases` variants per platform) under its own app layer: about 1.3 GB of
// unique blobs, each base layer used by many images.
import { join } from "node:path";
import type { Platform } from "../src/oci/types.js";
import type { ImageFormat } from "../test/harness/image-builder.js";
import type { LayerSpec } from "./layer-content.js";
import { writeLayers } from "./layer-pool.js";
import { buildIndexDoc, buildPlatformImage, type Doc, type PlatformImage } from "./image-docs.js";

/** A layer's size: MiB of binaries and MiB of text. */
type Size = Omit<LayerSpec, "label">;

export interface WorkloadShape {
  /** Names the workload (and its cache entry). */
  name: string;
  seed: string;
  /** Multi-platform references (one per tag), each over PLATFORMS. */
  refs: number;
  /** Single-manifest references, linux/amd64. */
  singles: number;
  /** Base variants per platform; reference i uses variant i % bases. */
  bases: number;
  os: Size;
  runtime: Size;
  app: Size;
}

export const MEDIUM: WorkloadShape = {
  name: "medium",
  seed: "airlock-bench-medium",
  refs: 40,
  singles: 8,
  bases: 2,
  os: { randomMiB: 48, textMiB: 36 },
  runtime: { randomMiB: 28, textMiB: 18 },
  app: { randomMiB: 4, textMiB: 3 },
};

/**
 * The 5 GB workload (opt-in: `npm run bench -- --large`): the medium one's references, platforms
 * and sharing, with every layer four times the size, so that its cost beside the medium run's
 * shows whether create-bundle's cost grows with the unique bytes alone and its memory stays flat.
 */
export const LARGE: WorkloadShape = {
  ...MEDIUM,
  name: "large",
  seed: "airlock-bench-large",
  os: { randomMiB: 192, textMiB: 144 },
  runtime: { randomMiB: 112, textMiB: 72 },
  app: { randomMiB: 16, textMiB: 12 },
};

export const PLATFORMS: Platform[] = [
  { os: "linux", architecture: "amd64" },
  { os: "linux", architecture: "arm64" },
  { os: "linux", architecture: "arm", variant: "v7" },
];

/** One tag of the workload: what it points at and every platform image under it. */
export interface TagContent {
  repository: string;
  tag: string;
  top: Doc;
  images: PlatformImage[];
}

/** A generated workload: its tags, and the file of each layer blob. */
export interface GeneratedWorkload {
  tags: TagContent[];
  layerFiles: Map<string, string>;
}

const slug = (p: Platform): string => [p.architecture, p.variant].filter(Boolean).join("");

/** A platform image to build: its platform and the indexes of its layers, bottom first. */
interface Stack {
  platform: Platform;
  layers: number[];
}

/** Writes every layer of `shape` into `dir` (in parallel) and builds the documents over them. */
export async function generateWorkload(shape: WorkloadShape, dir: string): Promise<GeneratedWorkload> {
  const specs: LayerSpec[] = [];
  const layer = (label: string, size: Size): number => specs.push({ label, ...size }) - 1;
  const bases = PLATFORMS.map((p) =>
    Array.from({ length: shape.bases }, (_, b) => [
      layer(`os-${slug(p)}-${b}`, shape.os),
      layer(`runtime-${slug(p)}-${b}`, shape.runtime),
    ]),
  );
  const stack = (n: number, platform: Platform, variant: number, app: string): Stack => ({
    platform,
    layers: [...(bases[n]?.[variant % shape.bases] ?? []), layer(app, shape.app)],
  });
  const multi = Array.from({ length: shape.refs }, (_, i) =>
    PLATFORMS.map((p, n) => stack(n, p, i, `app-${i}-${slug(p)}`)),
  );
  const amd64 = PLATFORMS[0] ?? { os: "linux", architecture: "amd64" };
  const singles = Array.from({ length: shape.singles }, (_, k) => stack(0, amd64, k, `tool-${k}`));

  const files = specs.map((spec) => ({ spec, file: join(dir, `${spec.label}.tar.gz`) }));
  const blobs = await writeLayers(shape.seed, files);
  const format = (i: number): ImageFormat => (i % 2 === 0 ? "oci" : "docker");
  const build = (i: number, s: Stack, env: string): PlatformImage =>
    buildPlatformImage(
      format(i),
      s.platform,
      s.layers.map((n) => pick(blobs, n)),
      [env],
    );

  const tags: TagContent[] = multi.map((stacks, i) => {
    const images = stacks.map((s) => build(i, s, `APP=${i}`));
    return { repository: `bench/app-${i % 10}`, tag: `v${i}`, top: buildIndexDoc(format(i), images), images };
  });
  singles.forEach((s, k) => {
    const image = build(k, s, `TOOL=${k}`);
    tags.push({ repository: `bench/tool-${k % 4}`, tag: `v${k}`, top: image.manifest, images: [image] });
  });
  const layerFiles = new Map(blobs.map((blob, i) => [blob.digest, files[i]?.file ?? ""]));
  return { tags, layerFiles };
}

function pick<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no item ${index}`);
  return item;
}
