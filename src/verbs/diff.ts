import { execFile } from "node:child_process";
import { basename, dirname } from "node:path";
import { promisify } from "node:util";
import { AirlockError } from "../errors.js";
import { diffLocks, type LockDiff } from "../plan/diff.js";
import { deltaSize, type DeltaSize } from "../plan/diff-bytes.js";
import { decodeLock } from "../plan/lock-file.js";
import { readLock } from "./lock-io.js";
import type { Lock } from "../plan/lock-types.js";

const run = promisify(execFile);

/**
 * What changed between two lockfiles. With only `newFile`, the old side is
 * the version committed in git (HEAD), as a pull-request reviewer sees it.
 */
export async function diffLockFiles(oldFile: string, newFile?: string): Promise<LockDiff> {
  const [before, after] = await readPair(oldFile, newFile);
  return diffLocks(before, after);
}

/**
 * What a delta bundle of the new lock made against the old one
 * (`create-bundle --since OLD`) would carry, per image: every manifest, and
 * only the configs and layers the old lock does not pin. With only
 * `oldFile`, it is compared with its version committed in git (HEAD).
 */
export async function diffLockBytes(oldFile: string, newFile?: string): Promise<DeltaSize> {
  const [before, after] = await readPair(oldFile, newFile);
  return deltaSize(before, after);
}

async function readPair(oldFile: string, newFile: string | undefined): Promise<[Lock, Lock]> {
  if (newFile === undefined) {
    const current = await mustRead(oldFile);
    return [await committedLock(oldFile), current];
  }
  return [await mustRead(oldFile), await mustRead(newFile)];
}

async function mustRead(file: string): Promise<Lock> {
  const lock = await readLock(file);
  if (lock === undefined) throw new AirlockError("ERR_FILE", `${file} does not exist`);
  return lock;
}

async function committedLock(file: string): Promise<Lock> {
  let text: string;
  try {
    const res = await run("git", ["-C", dirname(file), "show", `HEAD:./${basename(file)}`], {
      maxBuffer: 256 * 1024 * 1024,
    });
    text = res.stdout;
  } catch {
    throw new AirlockError(
      "ERR_FILE",
      `${file} has no committed version in git to compare with: pass both files (airlock diff OLD NEW)`,
    );
  }
  return decodeLock(text, `${file} (HEAD)`);
}
