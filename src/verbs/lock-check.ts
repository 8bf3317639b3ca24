/**
 * `lock --check`: the image list against its lock, with no network access. Apart from
 * verbs/lock.ts so that it loads no registry client (undici); lock.ts re-exports it.
 */
import { basename, dirname, extname, join } from "node:path";
import { AirlockError } from "../errors.js";
import { checkLock, type LockCheck } from "../plan/check.js";
import type { Lock } from "../plan/lock-types.js";
import { listFileFor, loadListSource, loadLockSource, type ListSource } from "./list-input.js";

/** What checkImageListLock compares: the list, and its lock as a file or an object. */
export interface LockCheckOptions extends ListSource {
  /** The lock file; default beside the list. Required when the list is an object and `lock` is not given. */
  output?: string;
  /** The lock as an object (what a lockfile's YAML parses to), instead of a file; validated as one. */
  lock?: Lock;
}

export interface LockCheckResult extends LockCheck {
  /** The lock file compared, or "<object>" for a `lock` given as an object. */
  lockFile: string;
}

/** The lock file that belongs to a list: same directory, same name, `.lock`. */
export function defaultLockFile(listFile: string): string {
  const name = basename(listFile, extname(listFile));
  return join(dirname(listFile), `${name}.lock`);
}

/** Compares the list with its lock, with no network access. */
export async function checkImageListLock(options: LockCheckOptions = {}): Promise<LockCheckResult> {
  const defaultFile = (): string => defaultLockFile(listFileFor(options, "output or lock", "the lock"));
  const list = await loadListSource(options);
  const { lock, lockFile } = await loadLockSource(options.lock, options.output, defaultFile);
  if (lock === undefined) {
    const how = options.list === undefined ? `run airlock lock -f ${list.file}` : "lock the list first";
    throw new AirlockError("ERR_LOCK_STALE", `${lockFile} does not exist: ${how}`);
  }
  return { ...checkLock(list, lock), lockFile };
}
