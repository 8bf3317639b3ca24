import type { LockEntry, LockTotals } from "./lock-types.js";

/** Counts distinct manifests and blobs, and the bytes with and without sharing. */
export function computeTotals(entries: readonly LockEntry[]): LockTotals {
  const manifests = new Map<string, number>();
  const blobs = new Map<string, number>();
  let images = 0;
  let bytesWithoutDedup = 0;
  for (const image of entries.flatMap((e) => e.images)) {
    images++;
    manifests.set(image.digest, image.size);
    bytesWithoutDedup += image.size;
    for (const p of [...image.platforms, ...(image.attestations ?? []), ...(image.attached ?? [])]) {
      if (p.digest !== image.digest) {
        manifests.set(p.digest, p.size);
        bytesWithoutDedup += p.size;
      }
      for (const b of [p.config, ...p.layers]) {
        blobs.set(b.digest, b.size);
        bytesWithoutDedup += b.size;
      }
    }
  }
  const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
  return {
    images,
    manifests: manifests.size,
    blobs: blobs.size,
    bytes: sum(manifests) + sum(blobs),
    bytesWithoutDedup,
  };
}
