import { AirlockError } from "../errors.js";
import type { Lock, LockedImage } from "../plan/lock-types.js";
import { encodeLock } from "../plan/lock-file.js";
import { computeTotals } from "../plan/totals.js";
import { TAR_BLOCK as BLOCK, tarEntryBytes as entryBytes } from "../store/tar-layout.js";
import { planBundleContent } from "./content.js";

/** A lock holding just one image. */
function lockOf(image: LockedImage): Lock {
  return {
    lockVersion: 1,
    listHash: "sha256:" + "0".repeat(64),
    entries: [{ key: image.reference, source: image.reference, images: [image] }],
    totals: { images: 0, manifests: 0, blobs: 0, bytes: 0, bytesWithoutDedup: 0 },
  };
}

/**
 * The blobs (digest → size) one image needs, manifests included, less those
 * a delta leaves out; and how many it leaves out (each a line of the part's
 * delta marker).
 */
function imageBlobs(
  image: LockedImage,
  omitted: ReadonlySet<string>,
): { blobs: Map<string, number>; left: number } {
  const all = planBundleContent(lockOf(image)).blobs;
  const carried = all.filter((b) => !omitted.has(b.digest));
  return { blobs: new Map(carried.map((b) => [b.digest, b.size])), left: all.length - carried.length };
}

/** An upper bound of what one left-out blob adds to a delta marker (digest, size, base, repository). */
const OMITTED_COST = 400;
/** An upper bound of a delta marker's own entry and its bases. */
const MARKER_FIXED = 2 * BLOCK + 2048;

/** An upper bound of what one image (and each index.json entry for what is attached to it) adds to a part's index.json and lock. */
function metadataCost(image: LockedImage): number {
  const attached = (image.attached ?? []).length * (3 * image.reference.length + 600);
  return Buffer.byteLength(encodeLock(lockOf(image))) + 2 * image.reference.length + 300 + attached;
}

/** The tar bytes of the three metadata files, padded, plus the two directory entries and the end blocks. */
const FIXED = 8 * BLOCK;

/**
 * Splits a lock into parts whose bundles each stay below `maxBytes`, every
 * image whole in one part (blobs it shares with images in other parts are
 * repeated there), images in lock order. Blobs in `omitted` (what a delta
 * leaves out) take no room.
 */
export function splitLock(lock: Lock, maxBytes: number, omitted: ReadonlySet<string> = new Set()): Lock[] {
  const budget = maxBytes - 1 - FIXED - (omitted.size > 0 ? MARKER_FIXED : 0);
  const parts: { images: Set<LockedImage>; blobs: Map<string, number>; bytes: number; meta: number }[] = [];
  for (const image of lock.entries.flatMap((e) => e.images)) {
    const { blobs, left } = imageBlobs(image, omitted);
    const meta = metadataCost(image) + left * OMITTED_COST;
    const alone = [...blobs.values()].reduce((n, s) => n + entryBytes(s), 0);
    if (alone + meta > budget) {
      throw new AirlockError(
        "ERR_USAGE",
        `${image.reference} alone needs about ${alone + meta + FIXED} bytes, more than --split allows (${maxBytes})`,
      );
    }
    const part = parts.at(-1);
    const extra =
      part === undefined
        ? Infinity
        : [...blobs].filter(([d]) => !part.blobs.has(d)).reduce((n, [, s]) => n + entryBytes(s), 0);
    if (part !== undefined && part.bytes + extra + part.meta + meta <= budget) {
      part.images.add(image);
      for (const [d, s] of blobs) part.blobs.set(d, s);
      part.bytes += extra;
      part.meta += meta;
    } else {
      parts.push({ images: new Set([image]), blobs, bytes: alone, meta });
    }
  }
  return parts.map((p) => subLock(lock, p.images));
}

function subLock(lock: Lock, images: Set<LockedImage>): Lock {
  const entries = lock.entries
    .map((e) => ({ ...e, images: e.images.filter((i) => images.has(i)) }))
    .filter((e) => e.images.length > 0);
  return { ...lock, entries, totals: computeTotals(entries) };
}
