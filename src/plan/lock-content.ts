/** What a lock's images reach, digest by digest: the manifests a bundle of it carries whole, and the blobs a delta may leave out. Pure. */
import type { Lock, LockedBlob, LockedImage } from "./lock-types.js";

/** A digest and its size. */
export interface SizedDigest {
  digest: string;
  size: number;
}

/** One image's manifests (top, platforms, attestations, attached) and its configs and layers, each digest once. */
export function imageContent(image: LockedImage): { manifests: SizedDigest[]; blobs: SizedDigest[] } {
  const manifests = new Map<string, number>([[image.digest, image.size]]);
  const blobs = new Map<string, number>();
  const parts = [...image.platforms, ...(image.attestations ?? []), ...(image.attached ?? [])];
  for (const p of parts) {
    manifests.set(p.digest, p.size);
    for (const b of [p.config, ...p.layers] as LockedBlob[]) blobs.set(b.digest, b.size);
  }
  const sized = (m: Map<string, number>): SizedDigest[] => [...m].map(([digest, size]) => ({ digest, size }));
  return { manifests: sized(manifests), blobs: sized(blobs) };
}

/** Every config and layer the lock's images reach, digest → size: what a site that took the lock's bundle holds. */
export function lockBlobs(lock: Lock): Map<string, number> {
  const out = new Map<string, number>();
  for (const image of lock.entries.flatMap((e) => e.images)) {
    for (const b of imageContent(image).blobs) out.set(b.digest, b.size);
  }
  return out;
}
