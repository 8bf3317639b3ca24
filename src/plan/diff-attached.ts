/** What changed in the content attached to an image between two locks: signatures, attestations, SBOMs, referrers. */
import type { AttachedKind, LockedArtifact, LockedImage } from "./lock-types.js";

export interface AttachedChange {
  reference: string;
  change: "added" | "removed" | "changed";
  kind: AttachedKind;
  /** What it is attached to: "image" (the top manifest), a platform ("linux/amd64"), or another artifact's digest. */
  on: string;
  artifactType?: string;
  /** undefined when added */
  from?: string;
  /** undefined when removed */
  to?: string;
}

/** Where an artifact hangs, in words that survive the image moving: image, platform, or the artifact's digest. */
function placeOf(image: LockedImage, subject: string): string {
  if (subject === image.digest) return "image";
  return image.platforms.find((p) => p.digest === subject)?.platform ?? subject;
}

/**
 * cosign's tags are one per kind and place: a new digest there is a change. Referrers are many
 * per place: each is added or removed by digest.
 */
function identity(image: LockedImage, a: LockedArtifact): string {
  const place = placeOf(image, a.subject);
  return a.kind === "referrer"
    ? `${place} referrer ${a.artifactType ?? ""} ${a.digest}`
    : `${place} ${a.kind}`;
}

/** Attached content added, removed or changed between two resolutions of the same image. */
export function attachedChanges(before: LockedImage, after: LockedImage): AttachedChange[] {
  const a = new Map((before.attached ?? []).map((x) => [identity(before, x), x]));
  const b = new Map((after.attached ?? []).map((x) => [identity(after, x), x]));
  const out: AttachedChange[] = [];
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const from = a.get(key);
    const to = b.get(key);
    if (from?.digest === to?.digest) continue;
    const which = (to ?? from) as LockedArtifact;
    const change: AttachedChange = {
      reference: after.reference,
      change: from === undefined ? "added" : to === undefined ? "removed" : "changed",
      kind: which.kind,
      on: placeOf(to !== undefined ? after : before, which.subject),
      ...(which.artifactType !== undefined ? { artifactType: which.artifactType } : {}),
    };
    if (from !== undefined) change.from = from.digest;
    if (to !== undefined) change.to = to.digest;
    out.push(change);
  }
  return out;
}

/** "signature", "attestation", "SBOM", or "referrer (application/spdx+json)". */
export function describeAttached(c: Pick<AttachedChange, "kind" | "artifactType">): string {
  switch (c.kind) {
    case "cosign-sig":
      return "signature";
    case "cosign-att":
      return "attestation";
    case "cosign-sbom":
      return "SBOM";
    case "referrer":
      return c.artifactType === undefined ? "referrer" : `referrer (${c.artifactType})`;
  }
}
