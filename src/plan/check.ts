import { formatPosition } from "../imagelist/problems.js";
import type { ImageList } from "../imagelist/types.js";
import { entryKey } from "./entry-key.js";
import type { Lock } from "./lock-types.js";

export interface LockCheck {
  /** True when the lock pins exactly what the list asks for. */
  upToDate: boolean;
  /** List entries the lock has nothing for (new, or changed since the lock was written): as written in the list. */
  unlocked: { source: string; key: string; position: string }[];
  /** Lock entries the list no longer asks for. */
  stale: { source: string; key: string }[];
}

/** Compares a list with its lock without any network: entry keys must match one to one. */
export function checkLock(list: ImageList, lock: Lock): LockCheck {
  const locked = new Set(lock.entries.map((e) => e.key));
  const wanted = new Set(list.images.map(entryKey));
  const unlocked = list.images
    .filter((e) => !locked.has(entryKey(e)))
    .map((e) => ({
      source: e.source,
      key: entryKey(e),
      position: formatPosition(e.position),
    }));
  const stale = lock.entries.filter((e) => !wanted.has(e.key)).map((e) => ({ source: e.source, key: e.key }));
  return { upToDate: unlocked.length === 0 && stale.length === 0, unlocked, stale };
}
