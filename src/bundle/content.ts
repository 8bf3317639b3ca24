import type { Lock } from "../plan/lock-types.js";
import { parseReference } from "../ref/reference.js";

/** An image reference the bundle's index.json names, pointing at its top manifest. */
export interface BundleImage {
  reference: string;
  mediaType: string;
  digest: string;
  size: number;
}

/** One blob the bundle carries under blobs/sha256/, and where to fetch it from. */
export interface BundleBlob {
  digest: string;
  size: number;
  /** Manifests are fetched from /manifests/, everything else from /blobs/. */
  kind: "manifest" | "blob";
  registry: string;
  repository: string;
}

export interface BundleContent {
  images: BundleImage[];
  /** Each blob once, sorted by digest. */
  blobs: BundleBlob[];
  /** Sum of blob sizes. */
  bytes: number;
}

/**
 * What a bundle of `lock` holds: every image reference once, and every
 * manifest and blob they reach once (deduplicated across images and
 * platforms), in a fixed order. Pure.
 */
export function planBundleContent(lock: Lock): BundleContent {
  const images = new Map<string, BundleImage>();
  const blobs = new Map<string, BundleBlob>();
  for (const image of lock.entries.flatMap((e) => e.images)) {
    const { registry, repository } = parseReference(image.reference);
    const add = (digest: string, size: number, kind: BundleBlob["kind"]): void => {
      if (!blobs.has(digest)) blobs.set(digest, { digest, size, kind, registry, repository });
    };
    images.set(image.reference, {
      reference: image.reference,
      mediaType: image.mediaType,
      digest: image.digest,
      size: image.size,
    });
    add(image.digest, image.size, "manifest");
    for (const p of [...image.platforms, ...(image.attestations ?? [])]) {
      add(p.digest, p.size, "manifest");
      add(p.config.digest, p.config.size, "blob");
      for (const layer of p.layers) add(layer.digest, layer.size, "blob");
    }
  }
  const sortedBlobs = [...blobs.values()].sort((a, b) =>
    a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0,
  );
  return {
    images: [...images.values()].sort((a, b) => (a.reference < b.reference ? -1 : 1)),
    blobs: sortedBlobs,
    bytes: sortedBlobs.reduce((n, b) => n + b.size, 0),
  };
}
