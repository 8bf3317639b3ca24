/**
 * What a delta bundle of NEW made against OLD (create-bundle --since
 * OLD.lock) would carry, per image: every manifest, and the configs and
 * layers OLD does not pin. Pure.
 */
import { imageContent, lockBlobs, type SizedDigest } from "./lock-content.js";
import type { Lock } from "./lock-types.js";

/** Counts and bytes of some manifests and blobs. */
export interface ContentSize {
  manifests: number;
  manifestBytes: number;
  blobs: number;
  blobBytes: number;
}

/** One image of NEW: what its delta carries, and what it leaves out because OLD has it. */
export interface DeltaImageSize {
  reference: string;
  carried: ContentSize;
  /** Configs and layers OLD already pins (left out of the delta). */
  leftOut: { blobs: number; bytes: number };
}

export interface DeltaSize {
  /** Every image of NEW, by reference; shared content is counted for each image. */
  images: DeltaImageSize[];
  /** What the delta carries, each digest once. */
  delta: ContentSize & { bytes: number };
  /** What a full bundle of NEW carries, each digest once. */
  full: ContentSize & { bytes: number };
  /** full.bytes − delta.bytes */
  saved: number;
}

/** The size of a delta of `newLock` against `oldLock`, per image and in all. */
export function deltaSize(oldLock: Lock, newLock: Lock): DeltaSize {
  const held = lockBlobs(oldLock);
  const images: DeltaImageSize[] = [];
  const allManifests = new Map<string, number>();
  const allBlobs = new Map<string, number>();
  for (const image of newLock.entries.flatMap((e) => e.images)) {
    const { manifests, blobs } = imageContent(image);
    const fresh = blobs.filter((b) => !held.has(b.digest));
    const kept = blobs.filter((b) => held.has(b.digest));
    for (const m of manifests) allManifests.set(m.digest, m.size);
    for (const b of blobs) allBlobs.set(b.digest, b.size);
    images.push({
      reference: image.reference,
      carried: sizeOf(manifests, fresh),
      leftOut: { blobs: kept.length, bytes: sum(kept) },
    });
  }
  const manifests = [...allManifests].map(([digest, size]) => ({ digest, size }));
  const blobs = [...allBlobs].map(([digest, size]) => ({ digest, size }));
  const delta = withBytes(
    sizeOf(
      manifests,
      blobs.filter((b) => !held.has(b.digest)),
    ),
  );
  const full = withBytes(sizeOf(manifests, blobs));
  images.sort((x, y) => (x.reference < y.reference ? -1 : x.reference > y.reference ? 1 : 0));
  return { images, delta, full, saved: full.bytes - delta.bytes };
}

function sizeOf(manifests: SizedDigest[], blobs: SizedDigest[]): ContentSize {
  return {
    manifests: manifests.length,
    manifestBytes: sum(manifests),
    blobs: blobs.length,
    blobBytes: sum(blobs),
  };
}

function withBytes(c: ContentSize): ContentSize & { bytes: number } {
  return { ...c, bytes: c.manifestBytes + c.blobBytes };
}

function sum(items: SizedDigest[]): number {
  return items.reduce((n, i) => n + i.size, 0);
}
