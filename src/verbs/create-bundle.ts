import { createHash } from "node:crypto";
import { mkdir, stat, statfs } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { planBundleContent, type BundleContent } from "../bundle/content.js";
import { fetchToCache, type FetchProgress } from "../bundle/fetch.js";
import { BUNDLE_LOCK_NAME, OCI_LAYOUT_BYTES, indexJsonBytes } from "../bundle/layout.js";
import { tarSize } from "../bundle/tar-size.js";
import { writeLayoutTar } from "../bundle/write-tar.js";
import { AirlockError } from "../errors.js";
import { loadImageList } from "../imagelist/load.js";
import type { ImageList } from "../imagelist/types.js";
import { formatPlatform, parsePlatform } from "../oci/platform.js";
import { checkLock } from "../plan/check.js";
import { encodeLock, readLock } from "../plan/lock-file.js";
import type { Lock } from "../plan/lock-types.js";
import { computeTotals } from "../plan/totals.js";
import { BlobDir, defaultCacheDir } from "../store/blob-dir.js";
import { writeFileAtomic } from "../stream/atomic-file.js";
import { ClientPool } from "./client-pool.js";
import { DEFAULT_LIST_FILE, defaultLockFile, lockImageList } from "./lock.js";
import type { RemoteOptions } from "./options.js";

export interface CreateBundleOptions extends RemoteOptions {
  /** The image list; default airlock.yaml. */
  file?: string;
  /** The lock; default beside the list. Without one, the list is resolved (and the lock written) first. */
  lockFile?: string;
  /** The bundle to write; default bundles/<list name>-<lock hash>.tar. */
  output?: string;
  /** Re-lock when the lock no longer matches the list, instead of refusing. */
  updateLock?: boolean;
  /** Carry only these platforms ("os/arch[/variant]") of what the lock pins. */
  platforms?: string[];
  /** Content-addressed blob cache; default $XDG_CACHE_HOME/airlock. */
  cacheDir?: string;
  /** Downloads in flight per registry; default 4. */
  concurrency?: number;
  onEvent?: (event: BundleEvent) => void;
}

export type BundleEvent =
  | {
      type: "preflight";
      output: string;
      images: number;
      platforms: number;
      blobs: number;
      bytes: number;
      tarBytes: number;
    }
  | ({ type: "fetch" } & FetchProgress)
  | { type: "write"; bytesDone: number; bytesTotal: number };

export interface CreateBundleResult {
  file: string;
  sha256File: string;
  sha256: string;
  size: number;
  images: number;
  blobs: number;
  /** Blobs downloaded by this run; the rest came from the cache. */
  downloaded: number;
  cached: number;
  lockFile: string;
}

/**
 * Writes one self-contained, deterministic OCI-layout tarball of everything
 * the lock pins: each blob once, the upstream top manifests unchanged, the
 * lock at the root. Blobs stream from the registries through size and sha256
 * checks into the cache, then into `<output>.partial`, renamed when complete.
 */
export async function createBundle(options: CreateBundleOptions = {}): Promise<CreateBundleResult> {
  const file = options.file ?? DEFAULT_LIST_FILE;
  const lockFile = options.lockFile ?? defaultLockFile(file);
  const list = await loadImageList(file);
  const lock = narrowPlatforms(await currentLock(list, lockFile, options), options.platforms);
  const lockText = encodeLock(lock);
  const output = options.output ?? defaultBundlePath(file, lockText);
  const content = planBundleContent(lock);
  const files = [
    { name: "oci-layout", bytes: OCI_LAYOUT_BYTES },
    { name: "index.json", bytes: indexJsonBytes(content.images) },
    { name: BUNDLE_LOCK_NAME, bytes: Buffer.from(lockText) },
  ];
  const tarBytes = tarSize([...files.map((f) => f.bytes.length), 0, 0, ...content.blobs.map((b) => b.size)]);
  const cache = new BlobDir(options.cacheDir ?? defaultCacheDir(options.env ?? process.env));
  await prepareOutput(output, options.output === undefined);
  await checkSpace(output, tarBytes, content, cache);
  options.onEvent?.({
    type: "preflight",
    output,
    images: content.images.length,
    platforms: lock.entries.flatMap((e) => e.images.flatMap((i) => i.platforms)).length,
    blobs: content.blobs.length,
    bytes: content.bytes,
    tarBytes,
  });
  const fetched = await fillCache(content, cache, list, options);
  let written = 0;
  const tar = await writeLayoutTar(output, files, content.blobs, cache, {
    signal: options.signal,
    onBytes: (n) => options.onEvent?.({ type: "write", bytesDone: (written += n), bytesTotal: tarBytes }),
  });
  const sha256File = `${output}.sha256`;
  await writeFileAtomic(sha256File, `${tar.sha256}  ${basename(output)}\n`);
  return {
    file: output,
    sha256File,
    sha256: tar.sha256,
    size: tar.size,
    images: content.images.length,
    blobs: content.blobs.length,
    downloaded: fetched.downloaded,
    cached: fetched.cached,
    lockFile,
  };
}

/** bundles/<list name>-<first 12 hex of the lock's sha256>.tar: the same lock gives the same name. */
export function defaultBundlePath(listFile: string, lockText: string): string {
  const hash = createHash("sha256").update(lockText).digest("hex").slice(0, 12);
  return join("bundles", `${basename(listFile, extname(listFile))}-${hash}.tar`);
}

async function currentLock(list: ImageList, lockFile: string, options: CreateBundleOptions): Promise<Lock> {
  const file = list.file;
  const lock = await readLock(lockFile);
  if (lock !== undefined) {
    const check = checkLock(list, lock);
    if (check.upToDate) return lock;
    if (options.updateLock !== true) {
      const names = [...check.unlocked.map((u) => u.source), ...check.stale.map((s) => s.source)];
      throw new AirlockError(
        "ERR_LOCK_STALE",
        `${lockFile} does not match ${file} (${names.join(", ")}): run airlock lock, or pass --update-lock`,
      );
    }
  }
  return (await lockImageList({ ...options, file, output: lockFile })).lock;
}

/** Keeps only the wanted platforms; an image left with none of them is an error. */
function narrowPlatforms(lock: Lock, platforms: string[] | undefined): Lock {
  if (platforms === undefined || platforms.length === 0) return lock;
  const wanted = new Set(platforms.map((p) => formatPlatform(parsePlatform(p))));
  const entries = lock.entries.map((e) => ({
    ...e,
    images: e.images.map((i) => {
      const kept = i.platforms.filter((p) => wanted.has(p.platform));
      if (kept.length === 0) {
        throw new AirlockError(
          "ERR_PLATFORM_NOT_FOUND",
          `${i.reference} has none of ${[...wanted].join(", ")} in the lock; it has: ${i.platforms.map((p) => p.platform).join(", ")}`,
        );
      }
      return { ...i, platforms: kept };
    }),
  }));
  return { ...lock, entries, totals: computeTotals(entries) };
}

async function prepareOutput(output: string, isDefault: boolean): Promise<void> {
  const dir = dirname(output);
  if (isDefault) {
    await mkdir(dir, { recursive: true });
    return;
  }
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) {
    throw new AirlockError(
      "ERR_FILE",
      `output directory ${dir} does not exist: create it or choose another -o`,
    );
  }
}

/** Stops before downloading when the output's (and cache's) filesystem lacks the space. */
async function checkSpace(
  output: string,
  tarBytes: number,
  content: BundleContent,
  cache: BlobDir,
): Promise<void> {
  let uncached = 0;
  for (const blob of content.blobs) if (!(await cache.has(blob))) uncached += blob.size;
  await mkdir(cache.root, { recursive: true });
  const [outFs, cacheFs, outStat, cacheStat] = await Promise.all([
    statfs(dirname(output)),
    statfs(cache.root),
    stat(dirname(output)),
    stat(cache.root),
  ]);
  const sameDevice = outStat.dev === cacheStat.dev;
  const needOut = tarBytes + (sameDevice ? uncached : 0);
  const freeOut = outFs.bavail * outFs.bsize;
  if (freeOut < needOut) {
    throw new AirlockError(
      "ERR_FILE",
      `not enough space for ${output}: it needs ${needOut} bytes${sameDevice && uncached > 0 ? " (bundle and cache)" : ""}, ${freeOut} are free`,
    );
  }
  if (!sameDevice && cacheFs.bavail * cacheFs.bsize < uncached) {
    throw new AirlockError(
      "ERR_FILE",
      `not enough space in the cache ${cache.root}: it needs ${uncached} more bytes`,
    );
  }
}

async function fillCache(
  content: BundleContent,
  cache: BlobDir,
  list: ImageList,
  options: CreateBundleOptions,
): Promise<FetchProgress> {
  const pool = new ClientPool(options, list.registries);
  try {
    return await fetchToCache(content.blobs, pool, cache, {
      concurrency: options.concurrency ?? 4,
      signal: options.signal,
      onProgress: (p) => options.onEvent?.({ type: "fetch", ...p }),
    });
  } finally {
    await pool.close();
  }
}
