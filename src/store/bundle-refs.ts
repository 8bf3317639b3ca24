/**
 * The bundles a blob cache knows: for each bundle create-bundle completed,
 * a small index file in the cache (`bundles/<hash of its path>.json`) naming
 * the bundle, its size, modification time and inode when written, its
 * sha256, and where each blob sits in it. The cache then holds large blobs
 * by reference instead of a second copy: a later bundle copies them from
 * the earlier one by offset (verifying as it reads, as from any file). A
 * bundle moved, removed or rewritten since no longer matches its index and
 * is ignored (its blobs count as not cached), and its index is removed.
 */
import { createHash } from "node:crypto";
import { readFile, readdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "../stream/atomic-file.js";

/** A blob inside a bundle: its data's offset and size. */
export interface BundledBlob {
  digest: string;
  offset: number;
  size: number;
}

/** One completed bundle as the cache recorded it. */
export interface BundleRecord {
  file: string;
  size: number;
  sha256: string;
  /** What it holds, named before it was written (the bundle writer's tar id), when known. */
  contentId?: string;
  blobs: BundledBlob[];
}

interface StoredRecord extends BundleRecord {
  airlockBundleRefs: 1;
  mtimeMs: number;
  ino: number;
}

const DIR = "bundles";

function recordFile(cacheRoot: string, file: string): string {
  return join(cacheRoot, DIR, `${createHash("sha256").update(file).digest("hex").slice(0, 32)}.json`);
}

/** Records a completed bundle in the cache at `cacheRoot` (replacing an earlier one at the same path). */
export async function recordBundle(cacheRoot: string, bundle: BundleRecord): Promise<void> {
  const file = resolve(bundle.file);
  const info = await stat(file);
  const stored: StoredRecord = {
    airlockBundleRefs: 1,
    ...bundle,
    blobs: bundle.blobs.filter((b) => b.size > 0),
    file,
    size: info.size,
    mtimeMs: Math.trunc(info.mtimeMs),
    ino: info.ino,
  };
  await writeFileAtomic(recordFile(cacheRoot, file), JSON.stringify(stored));
}

/** Every recorded bundle that is still where, and as, it was written; stale records are removed. */
export async function readBundleRecords(cacheRoot: string): Promise<BundleRecord[]> {
  const names = await readdir(join(cacheRoot, DIR)).catch(() => [] as string[]);
  const records = await Promise.all(
    names.filter((n) => n.endsWith(".json")).map((n) => readRecord(join(cacheRoot, DIR, n))),
  );
  return records.filter((r): r is BundleRecord => r !== undefined);
}

/** Forgets the bundle at `file` (its content failed a check): its blobs no longer count as cached. */
export async function forgetBundle(cacheRoot: string, file: string): Promise<void> {
  await rm(recordFile(cacheRoot, resolve(file)), { force: true });
}

/** The record of the bundle at `file`, when it is recorded and unchanged. */
export async function bundleRecordOf(cacheRoot: string, file: string): Promise<BundleRecord | undefined> {
  return await readRecord(recordFile(cacheRoot, resolve(file)), false);
}

async function readRecord(path: string, removeStale = true): Promise<BundleRecord | undefined> {
  const stored = await readFile(path, "utf8")
    .then((text) => JSON.parse(text) as Partial<StoredRecord>)
    .catch(() => undefined);
  const info = stored?.file !== undefined ? await stat(stored.file).catch(() => undefined) : undefined;
  const current =
    stored?.airlockBundleRefs === 1 &&
    info !== undefined &&
    info.size === stored.size &&
    Math.trunc(info.mtimeMs) === stored.mtimeMs &&
    info.ino === stored.ino &&
    Array.isArray(stored.blobs) &&
    typeof stored.sha256 === "string";
  if (current) return stored as StoredRecord;
  if (removeStale) await rm(path, { force: true }).catch(() => undefined);
  return undefined;
}
