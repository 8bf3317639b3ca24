import type { LockedArtifact, LockedImage } from "./lock-types.js";

/**
 * What stays attached to an image once some of its platforms are left out: what is attached to
 * its top manifest and to the platforms it keeps, and what is attached to those, to any depth;
 * what hangs off a dropped platform goes with it. Pure.
 */
export function attachedOfKept(image: LockedImage): LockedArtifact[] | undefined {
  if (image.attached === undefined) return undefined;
  const kept = new Set([image.digest, ...image.platforms.map((p) => p.digest)]);
  const out: LockedArtifact[] = [];
  // The lock lists subjects before what is attached to them, so one pass in order suffices.
  for (const artifact of image.attached) {
    if (!kept.has(artifact.subject)) continue;
    kept.add(artifact.digest);
    out.push(artifact);
  }
  return out.length > 0 ? out : undefined;
}
