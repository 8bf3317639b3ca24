import { readFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { AirlockError } from "../errors.js";
import { DEFAULT_LIST_FILE } from "../imagelist/defaults.js";
import { loadImageList } from "../imagelist/load.js";
import type { ImageList } from "../imagelist/types.js";
import { checkLock, type LockCheck } from "../plan/check.js";
import { encodeLock, readLock, writeLock } from "../plan/lock-file.js";
import type { Lock } from "../plan/lock-types.js";
import { planLock } from "../plan/planner.js";
import type { RemoteOptions } from "./options.js";
import { BlobDir, defaultCacheDir } from "../store/blob-dir.js";
import { ClientPool } from "./client-pool.js";
import { RegistryResolver } from "./registry-resolver.js";
import { withLinkedSignal } from "../util/linked-signal.js";

export { DEFAULT_LIST_FILE };

export interface LockOptions extends RemoteOptions {
  /** The image list; default airlock.yaml. */
  file?: string;
  /** Where the lock goes; default beside the list, named after it (airlock.yaml → airlock.lock). */
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
}

/** The lock file that belongs to a list: same directory, same name, `.lock`. */
export function defaultLockFile(listFile: string): string {
  const name = basename(listFile, extname(listFile));
  return join(dirname(listFile), `${name}.lock`);
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
  const file = options.file ?? DEFAULT_LIST_FILE;
  const lockFile = options.output ?? defaultLockFile(file);
  const list = await loadImageList(file);
  const previous = await readLock(lockFile);
  const pool = new ClientPool(options, list.registries);
  let lock: Lock;
  try {
    const cache =
      options.cacheDir === null ? undefined : new BlobDir(options.cacheDir ?? defaultCacheDir(options.env));
    lock = await planLock(list, new RegistryResolver(pool, cache), {
      previous,
      update: options.update,
      concurrency: options.concurrency,
      onProgress: options.onProgress,
    });
  } finally {
    await pool.close();
  }
  const text = encodeLock(lock);
  const existing = await readFile(lockFile, "utf8").catch(() => undefined);
  if (existing === text) return { list, lock, lockFile, written: false };
  await writeLock(lockFile, lock);
  return { list, lock, lockFile, written: true };
}

/** Compares the list with its lock, with no network access. */
export async function checkImageListLock(
  options: Pick<LockOptions, "file" | "output"> = {},
): Promise<LockCheck & { lockFile: string }> {
  const file = options.file ?? DEFAULT_LIST_FILE;
  const lockFile = options.output ?? defaultLockFile(file);
  const list = await loadImageList(file);
  const lock = await readLock(lockFile);
  if (lock === undefined) {
    throw new AirlockError("ERR_LOCK_STALE", `${lockFile} does not exist: run airlock lock -f ${file}`);
  }
  return { ...checkLock(list, lock), lockFile };
}
