import type { LockedArtifact } from "./lock-types.js";

/** Attached artifacts in a fixed order: by subject, then kind, then digest. */
export function compareArtifacts(a: LockedArtifact, b: LockedArtifact): number {
  const key = (x: LockedArtifact): string => `${x.subject} ${x.kind} ${x.digest}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}
