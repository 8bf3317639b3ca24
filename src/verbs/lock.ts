import { readFile } from "node:fs/promises";
import { throwIfAborted } from "../errors.js";
import { DEFAULT_LIST_FILE } from "../imagelist/defaults.js";
import type { ImageList } from "../imagelist/types.js";
import { encodeLock } from "../plan/lock-file.js";
import { readLock, writeLock } from "./lock-io.js";
import type { Lock } from "../plan/lock-types.js";
import { planLock } from "../plan/planner.js";
import type { RemoteOptions } from "./options.js";
import { listFileFor, loadListSource, type ListSource } from "./list-input.js";
import { defaultLockFile } from "./lock-check.js";
import { BlobDir, defaultCacheDir } from "../store/blob-dir.js";
import { ClientPool } from "./client-pool.js";
import { RegistryResolver } from "./registry-resolver.js";
import { withLinkedSignal } from "../util/linked-signal.js";
import { findFilteredImages, type FilteredImage } from "./filtered-images.js";

export { DEFAULT_LIST_FILE };
// lock --check reads lock-check.ts alone: no registry client, no undici.
export {
  checkImageListLock,
  defaultLockFile,
  type LockCheckOptions,
  type LockCheckResult,
} from "./lock-check.js";

export interface LockOptions extends RemoteOptions, ListSource {
  /**
   * Where the lock goes; default beside the list, named after it (airlock.yaml → airlock.lock).
   * Required when the list is given as an object.
   */
  output?: string;
  /** Re-resolve these entries (as written, or by repository) even if unchanged; `true` for all. */
  update?: true | string[];
  /** Resolutions in flight at once; default 8. */
  concurrency?: number;
  onProgress?: (done: number, total: number, reference: string) => void;
  /**
   * Where manifests and configs fetched while locking are kept for create-bundle (the same
   * content-addressed cache); default $XDG_CACHE_HOME/airlock; null keeps nothing.
   */
  cacheDir?: string | null;
}

export interface LockResult {
  list: ImageList;
  lock: Lock;
  lockFile: string;
  /** False when the lock on disk already said exactly this. */
  written: boolean;
  /**
   * Multi-platform indexes locked for some of their platforms: at a registry that refuses
   * sparse indexes their tag will name a new index (judged from the cache; none without one).
   */
  filtered: FilteredImage[];
}

/**
 * Resolves the image list against its registries and writes the lock
 * atomically. Entries unchanged since the existing lock keep their pins.
 * Nothing is written when any entry fails.
 */
export async function lockImageList(options: LockOptions = {}): Promise<LockResult> {
  return await withLinkedSignal(options, runLock);
}

async function runLock(options: LockOptions): Promise<LockResult> {
  const lockFile = options.output ?? defaultLockFile(listFileFor(options, "output", "the lock"));
  const list = await loadListSource(options);
  const lock = await resolveLock(list, await readLock(lockFile), options);
  const text = encodeLock(lock);
  const existing = await readFile(lockFile, "utf8").catch(() => undefined);
  const filtered = await findFilteredImages(lock, cacheOf(options));
  if (existing === text) return { list, lock, lockFile, written: false, filtered };
  await writeLock(lockFile, lock);
  return { list, lock, lockFile, written: true, filtered };
}

/** Pins the list against its registries, keeping what `previous` pinned for unchanged entries; writes nothing. */
export async function resolveLock(
  list: ImageList,
  previous: Lock | undefined,
  options: LockOptions,
): Promise<Lock> {
  const pool = new ClientPool(options, list.registries);
  try {
    return await planLock(list, new RegistryResolver(pool, cacheOf(options)), {
      previous,
      update: options.update,
      concurrency: options.concurrency,
      onProgress: options.onProgress,
    });
  } catch (err) {
    // Aborted, every entry left fails the same way: that is one ERR_ABORTED, not a PlanError.
    throwIfAborted(options.signal);
    throw err;
  } finally {
    await pool.close();
  }
}

/** The blob cache the lock keeps manifests in, or undefined for `cacheDir: null`. */
function cacheOf(options: LockOptions): BlobDir | undefined {
  return options.cacheDir === null
    ? undefined
    : new BlobDir(options.cacheDir ?? defaultCacheDir(options.env));
}
