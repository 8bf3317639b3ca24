/**
 * Atomic file replacement: the data goes to a temporary name beside the
 * target, is flushed to disk, and is renamed over the target, so a reader
 * sees either the old file or the whole new one, never a half-written file.
 */

import { randomBytes } from "node:crypto";
import { mkdir, open, realpath, rename, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { AirlockError, messageOf } from "../errors.js";

export interface WriteFileAtomicOptions {
  /** Permission bits of the new file (before the umask); defaults to 0o666 like `fs.writeFile`. */
  mode?: number;
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same directory
 * (`.name.<random>.tmp`) is written, fsynced and renamed over `path`. The
 * parent directory is created when missing; when `path` is a symlink, the file
 * it points to is replaced and the link kept. On failure the temporary file is
 * removed and an AirlockError "ERR_FILE" naming `path` is thrown.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  let temp: string | undefined;
  try {
    const target = await resolveSymlink(path);
    await mkdir(dirname(target), { recursive: true });
    temp = tempNameBeside(target);
    await writeAndSync(temp, data, options.mode ?? 0o666);
    await rename(temp, target);
    temp = undefined;
    await syncDirectory(dirname(target));
  } catch (err) {
    if (temp !== undefined) await rm(temp, { force: true }).catch(() => undefined);
    throw new AirlockError("ERR_FILE", `${path}: cannot write: ${messageOf(err)}`, { cause: err });
  }
}

/** `.name.<random>.tmp` in the directory of `target`. */
function tempNameBeside(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
}

/** The file a symlink points to, or `path` itself when it is not a symlink or does not exist yet. */
async function resolveSymlink(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

async function writeAndSync(file: string, data: string | Uint8Array, mode: number): Promise<void> {
  // "wx": never reuse an existing file, even one with our random name.
  const handle = await open(file, "wx", mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes the rename durable where the platform allows fsync on a directory; best effort. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // Not supported everywhere (e.g. Windows); the rename itself has happened.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
