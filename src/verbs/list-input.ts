/** Where a verb's image list and lock come from: files, or objects built in code. */

import { AirlockError } from "../errors.js";
import { DEFAULT_LIST_FILE, OBJECT_SOURCE } from "../imagelist/defaults.js";
import type { ImageListDocument } from "../imagelist/document.js";
import { loadImageList, loadImageListObject } from "../imagelist/load.js";
import type { ImageList } from "../imagelist/types.js";
import { parseLockObject } from "../plan/lock-file.js";
import type { Lock } from "../plan/lock-types.js";
import { readLock } from "./lock-io.js";

/** The image list a verb reads: a file (default airlock.yaml), or an object. */
export interface ListSource {
  /** The image list file; default airlock.yaml. */
  file?: string;
  /**
   * The image list as an object, instead of `file`: what an airlock.yaml (or a skopeo sync or
   * mindthegap YAML) parses to, checked exactly as a file is. Problems are reported at "<object>"
   * and their path; relative paths in it resolve against the working directory. Outputs that
   * would be named after the list file must then be given.
   */
  list?: ImageListDocument | Record<string, unknown>;
}

/** The list, loaded and validated from wherever it comes. */
export async function loadListSource(source: ListSource): Promise<ImageList> {
  if (source.list === undefined) return await loadImageList(source.file ?? DEFAULT_LIST_FILE);
  if (source.file !== undefined) {
    throw new AirlockError("ERR_USAGE", "give the image list as a file or as an object (list), not both");
  }
  return loadImageListObject(source.list);
}

/**
 * The list file whose name a default output takes (`what`, set by `option`); a list given as an
 * object has no file beside which to put it, so the option is required.
 */
export function listFileFor(source: ListSource, option: string, what: string): string {
  if (source.list === undefined) return source.file ?? DEFAULT_LIST_FILE;
  throw new AirlockError(
    "ERR_USAGE",
    `an image list given as an object has no file to name ${what} after: set ${option}`,
  );
}

/** A lock read from its file (undefined when there is none), or given as an object. */
export interface LockSource {
  lock: Lock | undefined;
  /** The file, or "<object>". */
  lockFile: string;
  fromObject: boolean;
}

/**
 * The lock given as an object (validated as a file is), or read from `lockFile`, or else from
 * the file `defaultFile` names; an object and a file at once is a usage error.
 */
export async function loadLockSource(
  lock: Lock | undefined,
  lockFile: string | undefined,
  defaultFile: () => string,
): Promise<LockSource> {
  if (lock === undefined) {
    const file = lockFile ?? defaultFile();
    return { lock: await readLock(file), lockFile: file, fromObject: false };
  }
  if (lockFile !== undefined) {
    throw new AirlockError(
      "ERR_USAGE",
      `give the lock as a file (${lockFile}) or as an object (lock), not both`,
    );
  }
  return { lock: parseLockObject(lock), lockFile: OBJECT_SOURCE, fromObject: true };
}
