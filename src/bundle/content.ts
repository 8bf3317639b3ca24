import type { AttachedKind, Lock } from "../plan/lock-types.js";
import { parseReference } from "../ref/reference.js";

/** An image reference the bundle's index.json names, pointing at its top manifest. */
export interface BundleImage {
  reference: string;
  mediaType: string;
  digest: string;
  size: number;
}

/** A manifest attached to a bundled image (a cosign tag or a referrer), as index.json lists it. */
export interface BundleAttached {
  /** The image it travels with (its full reference). */
  image: string;
  kind: AttachedKind;
  subject: string;
  /** cosign's tag ("sha256-<hex>.sig"); absent for referrers. */
  tag?: string;
  artifactType?: string;
  mediaType: string;
  digest: string;
  size: number;
}

/** One blob the bundle carries under blobs/sha256/, and where to fetch it from. */
export interface BundleBlob {
  digest: string;
  size: number;
  mediaType: string;
  /** Manifests are fetched from /manifests/, everything else from /blobs/. */
  kind: "manifest" | "blob";
  registry: string;
  repository: string;
}

export interface BundleContent {
  images: BundleImage[];
  /** What is attached to the images, image by image in lock order (subjects before what is attached to them). */
  attached: BundleAttached[];
  /** Each blob once, sorted by digest. */
  blobs: BundleBlob[];
  /** Sum of blob sizes. */
  bytes: number;
}

/**
 * What a bundle of `lock` holds: every image reference once, what is
 * attached to each, and every manifest and blob they reach once
 * (deduplicated across images and platforms), in a fixed order. Pure.
 */
export function planBundleContent(lock: Lock): BundleContent {
  const images = new Map<string, BundleImage>();
  const attached = new Map<string, BundleAttached[]>();
  const blobs = new Map<string, BundleBlob>();
  for (const image of lock.entries.flatMap((e) => e.images)) {
    const { registry, repository } = parseReference(image.reference);
    const add = (d: { digest: string; size: number; mediaType: string }, kind: BundleBlob["kind"]): void => {
      const { digest, size, mediaType } = d;
      if (!blobs.has(digest)) blobs.set(digest, { digest, size, mediaType, kind, registry, repository });
    };
    images.set(image.reference, {
      reference: image.reference,
      mediaType: image.mediaType,
      digest: image.digest,
      size: image.size,
    });
    add(image, "manifest");
    for (const p of [...image.platforms, ...(image.attestations ?? []), ...(image.attached ?? [])]) {
      add(p, "manifest");
      add(p.config, "blob");
      for (const layer of p.layers) add(layer, "blob");
    }
    attached.set(
      image.reference,
      (image.attached ?? []).map((a) => ({
        image: image.reference,
        kind: a.kind,
        subject: a.subject,
        ...(a.tag !== undefined ? { tag: a.tag } : {}),
        ...(a.artifactType !== undefined ? { artifactType: a.artifactType } : {}),
        mediaType: a.mediaType,
        digest: a.digest,
        size: a.size,
      })),
    );
  }
  const sortedBlobs = [...blobs.values()].sort((a, b) =>
    a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0,
  );
  const sortedImages = [...images.values()].sort((a, b) => (a.reference < b.reference ? -1 : 1));
  return {
    images: sortedImages,
    attached: sortedImages.flatMap((i) => attached.get(i.reference) ?? []),
    blobs: sortedBlobs,
    bytes: sortedBlobs.reduce((n, b) => n + b.size, 0),
  };
}
