/** Reading and writing lockfiles: the io beside the pure encode/decode in plan/. */
import { readFile } from "node:fs/promises";
import { AirlockError, fileErrorReason } from "../errors.js";
import { decodeLock, encodeLock } from "../plan/lock-file.js";
import type { Lock } from "../plan/lock-types.js";
import { writeFileAtomic } from "../stream/atomic-file.js";

/** Reads a lockfile; undefined when it does not exist. */
export async function readLock(file: string): Promise<Lock | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new AirlockError("ERR_FILE", `cannot read ${file}: ${fileErrorReason(err)}`, { cause: err });
  }
  return decodeLock(text, file);
}

/** Writes a lockfile atomically (temporary name, then rename). */
export async function writeLock(file: string, lock: Lock): Promise<void> {
  await writeFileAtomic(file, encodeLock(lock));
}
