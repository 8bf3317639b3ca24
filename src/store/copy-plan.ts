/**
 * Planning a copy: which manifests and blobs go, children before parents,
 * and what the target will hold (a docker-archive rebuilds manifests). The
 * plan is complete before anything is written, so a copy that cannot keep
 * digests is refused before it starts.
 */
import { AirlockError } from "../errors.js";
import { sha256Digest } from "../oci/digest.js";
import { parseManifest } from "../oci/manifest.js";
import { isImageManifestType, isIndexType } from "../oci/media-types.js";
import { formatPlatform, listPlatforms, selectPlatform } from "../oci/platform.js";
import type { Descriptor, ImageManifest, Index, Platform } from "../oci/types.js";
import type { ImageSource, ImageTarget, ManifestConverter } from "./image-store.js";

/** Which images of a multi-platform source to copy. */
export interface CopySelection {
  /** Every image of an index, the index kept byte for byte. */
  all?: boolean;
  /** One platform: that image alone; several: a new index of just those. Default: `fallback`. */
  platforms?: Platform[];
  /** The platform used for an index when neither is given (this machine's). */
  fallback: Platform;
  /** Refuse (ERR_UNSUPPORTED) a copy that cannot keep the source's manifest digests. */
  preserveDigests?: boolean;
  /**
   * With `all`: the index children the source holds (a bundle's sparse
   * index). The others are left out and the index is kept byte for byte.
   */
  carried?: (digest: string) => boolean;
}

/** One manifest to write, as the target will hold it. */
export interface PlannedManifest {
  descriptor: Descriptor;
  bytes: Buffer;
}

export interface CopyPlan {
  /** Image manifests first, then (for an index) the index: the order to write them in. */
  manifests: PlannedManifest[];
  /** The manifest to tag: the last of `manifests`. */
  top: PlannedManifest;
  /** Every config and layer, each digest once. */
  blobs: Descriptor[];
  /** True when every manifest written has the source's bytes. */
  digestsKept: boolean;
  /**
   * For a sparse index (some children not carried): an index of only the
   * carried children, for a target that refuses the sparse one. New digest.
   */
  carriedIndex?: PlannedManifest;
}

/** Reads the source's manifests and plans the copy of the image `top` names. */
export async function planCopy(
  source: ImageSource,
  top: Descriptor,
  target: ImageTarget,
  select: CopySelection,
  signal?: AbortSignal,
): Promise<CopyPlan> {
  const bytes = await source.manifestGet(top, { signal });
  const parsed = parseManifest(bytes, top.mediaType, `${source.name}: manifest ${top.digest}`);
  const desc = { ...top, mediaType: parsed.mediaType };
  let images: PlannedManifest[];
  let index: PlannedManifest | undefined;
  let carriedIndex: PlannedManifest | undefined;
  let kept = true;
  if (parsed.kind === "image") {
    images = [{ descriptor: desc, bytes }];
  } else {
    const children = pickChildren(parsed.index, select, source.name);
    images = await Promise.all(
      children.map(async (d) => ({ descriptor: d, bytes: await fetchImage(source, d, signal) })),
    );
    if (select.all === true || children.length > 1) {
      const complete = children.length === parsed.index.manifests.length;
      const same = complete || select.carried !== undefined;
      index = same ? { descriptor: desc, bytes } : subIndex(parsed.index, children, desc.mediaType);
      kept = same;
      if (!complete && same) carriedIndex = subIndex(parsed.index, children, desc.mediaType);
    }
  }
  if (index !== undefined && !target.capabilities.holdsIndexes) {
    throw new AirlockError(
      "ERR_UNSUPPORTED",
      `${target.name} holds single images, and ${source.name} is a multi-platform image: pick one with --platform`,
    );
  }
  if (!target.capabilities.keepsManifests) {
    const converted = images.map((m) => convert(m, target as ImageTarget & Partial<ManifestConverter>));
    kept &&= converted.every((m, i) => m.descriptor.digest === images[i]?.descriptor.digest);
    images = converted;
  }
  if (!kept && select.preserveDigests === true) {
    throw new AirlockError(
      "ERR_UNSUPPORTED",
      `copying ${source.name} to ${target.name} cannot keep the manifest digests (${why(index, target)}); drop --preserve-digests to allow it`,
    );
  }
  const manifests = index === undefined ? images : [...images, index];
  return {
    manifests,
    top: manifests[manifests.length - 1] as PlannedManifest,
    blobs: blobsOf(images),
    digestsKept: kept,
    ...(carriedIndex !== undefined ? { carriedIndex } : {}),
  };
}

function pickChildren(index: Index, select: CopySelection, where: string): Descriptor[] {
  const { carried } = select;
  const present =
    carried === undefined
      ? index.manifests
      : index.manifests.filter(
          (d) => carried(d.digest) && (isImageManifestType(d.mediaType) || isIndexType(d.mediaType)),
        );
  for (const d of present) {
    if (isIndexType(d.mediaType)) {
      throw new AirlockError(
        "ERR_MANIFEST_UNSUPPORTED",
        `${where}: an index inside an index is not supported`,
      );
    }
  }
  if (select.all === true) return present;
  const wanted =
    select.platforms !== undefined && select.platforms.length > 0 ? select.platforms : [select.fallback];
  return wanted.map((p) => {
    const child = selectPlatform(index.manifests, p);
    if (child === undefined) {
      const have = listPlatforms(index.manifests).join(", ") || "none";
      throw new AirlockError(
        "ERR_PLATFORM_NOT_FOUND",
        `${where} has no ${formatPlatform(p)} image; it has: ${have}`,
      );
    }
    return child;
  });
}

async function fetchImage(source: ImageSource, d: Descriptor, signal?: AbortSignal): Promise<Buffer> {
  const bytes = await source.manifestGet(d, { signal });
  if (parseManifest(bytes, d.mediaType, `${source.name}: manifest ${d.digest}`).kind !== "image") {
    throw new AirlockError(
      "ERR_MANIFEST_UNSUPPORTED",
      `${source.name}: ${d.digest} is not an image manifest`,
    );
  }
  return bytes;
}

/**
 * A new index of just the chosen children, in their upstream order (its digest is new): what
 * push-bundle writes where a sparse index is refused, and what serve answers a tag with.
 */
export function subIndex(index: Index, children: Descriptor[], mediaType: string): PlannedManifest {
  const bytes = Buffer.from(JSON.stringify({ ...index, manifests: children }));
  return { descriptor: { mediaType, digest: sha256Digest(bytes), size: bytes.length }, bytes };
}

function convert(m: PlannedManifest, target: ImageTarget & Partial<ManifestConverter>): PlannedManifest {
  if (target.convertManifest === undefined) return m;
  const bytes = target.convertManifest(m.bytes);
  const mediaType = parseManifest(bytes).mediaType;
  return { descriptor: { mediaType, digest: sha256Digest(bytes), size: bytes.length }, bytes };
}

function why(index: PlannedManifest | undefined, target: ImageTarget): string {
  if (!target.capabilities.keepsManifests) return `${target.name} does not store manifests; they are rebuilt`;
  return index !== undefined ? "only some platforms are copied, so the index is rebuilt" : "they are rebuilt";
}

function blobsOf(images: PlannedManifest[]): Descriptor[] {
  const blobs = new Map<string, Descriptor>();
  for (const m of images) {
    const manifest = JSON.parse(m.bytes.toString("utf8")) as ImageManifest;
    for (const d of [manifest.config, ...manifest.layers]) if (!blobs.has(d.digest)) blobs.set(d.digest, d);
  }
  return [...blobs.values()];
}
