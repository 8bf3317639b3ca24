import { attachedChanges, type AttachedChange } from "./diff-attached.js";
import type { Lock, LockedImage, LockedPlatform } from "./lock-types.js";

export type { AttachedChange } from "./diff-attached.js";

export interface PlatformChange {
  platform: string;
  /** undefined when the platform was added */
  from?: string;
  /** undefined when the platform was removed */
  to?: string;
}

export interface MovedImage {
  reference: string;
  from: string;
  to: string;
  platforms: PlatformChange[];
}

export interface LockDiff {
  added: { reference: string; digest: string; platforms: string[] }[];
  removed: { reference: string; digest: string; platforms: string[] }[];
  moved: MovedImage[];
  /** Signatures, attestations, SBOMs and referrers added, removed or changed, of images in both locks. */
  attached: AttachedChange[];
  /** Blobs and manifests in NEW that OLD does not have: what the next bundle must carry anew. */
  newContent: { count: number; bytes: number };
  totals: { from: number; to: number; change: number };
}

function imagesOf(lock: Lock): Map<string, LockedImage> {
  return new Map(lock.entries.flatMap((e) => e.images).map((i) => [i.reference, i]));
}

/** Every digest a lock references, with its size. */
function contentOf(lock: Lock): Map<string, number> {
  const out = new Map<string, number>();
  for (const image of imagesOf(lock).values()) {
    out.set(image.digest, image.size);
    for (const p of [...image.platforms, ...(image.attached ?? [])]) {
      out.set(p.digest, p.size);
      for (const b of [p.config, ...p.layers]) out.set(b.digest, b.size);
    }
  }
  return out;
}

function platformChanges(from: LockedPlatform[], to: LockedPlatform[]): PlatformChange[] {
  const a = new Map(from.map((p) => [p.platform, p.digest]));
  const b = new Map(to.map((p) => [p.platform, p.digest]));
  const names = [...new Set([...a.keys(), ...b.keys()])].sort();
  return names
    .filter((n) => a.get(n) !== b.get(n))
    .map((platform) => {
      const change: PlatformChange = { platform };
      const f = a.get(platform);
      const t = b.get(platform);
      if (f !== undefined) change.from = f;
      if (t !== undefined) change.to = t;
      return change;
    });
}

/** What changed between two locks, as a reviewer reads it. */
export function diffLocks(oldLock: Lock, newLock: Lock): LockDiff {
  const before = imagesOf(oldLock);
  const after = imagesOf(newLock);
  const brief = (i: LockedImage): LockDiff["added"][number] => ({
    reference: i.reference,
    digest: i.digest,
    platforms: i.platforms.map((p) => p.platform),
  });
  const added = [...after.values()].filter((i) => !before.has(i.reference)).map(brief);
  const removed = [...before.values()].filter((i) => !after.has(i.reference)).map(brief);
  const moved: MovedImage[] = [];
  const attached: AttachedChange[] = [];
  for (const [reference, next] of after) {
    const prev = before.get(reference);
    if (prev) attached.push(...attachedChanges(prev, next));
    const platforms = prev ? platformChanges(prev.platforms, next.platforms) : [];
    if (prev && (prev.digest !== next.digest || platforms.length > 0)) {
      moved.push({ reference, from: prev.digest, to: next.digest, platforms });
    }
  }
  const oldContent = contentOf(oldLock);
  const fresh = [...contentOf(newLock)].filter(([d]) => !oldContent.has(d));
  const byRef = (a: { reference: string }, b: { reference: string }): number =>
    a.reference.localeCompare(b.reference);
  return {
    added: added.sort(byRef),
    removed: removed.sort(byRef),
    moved: moved.sort(byRef),
    attached: attached.sort(byRef),
    newContent: { count: fresh.length, bytes: fresh.reduce((n, [, size]) => n + size, 0) },
    totals: {
      from: oldLock.totals.bytes,
      to: newLock.totals.bytes,
      change: newLock.totals.bytes - oldLock.totals.bytes,
    },
  };
}
