import type { Lock } from "./lock-types.js";
import { computeTotals } from "./totals.js";

/**
 * The lock without what is attached to its images (signatures, attestations, SBOMs, referrers),
 * totals recounted: what a bundle holds until bundles carry attached content.
 */
export function withoutAttached(lock: Lock): Lock {
  if (!lock.entries.some((e) => e.images.some((i) => i.attached !== undefined))) return lock;
  const { attachedRecorded: _recorded, ...rest } = lock;
  const entries = lock.entries.map((e) => ({
    ...e,
    images: e.images.map(({ attached: _attached, ...image }) => image),
  }));
  return { ...rest, entries, totals: computeTotals(entries) };
}
