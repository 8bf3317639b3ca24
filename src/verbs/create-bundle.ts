import { createHash } from "node:crypto";
import { mkdir, stat, statfs } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { planBundleContent, type BundleContent } from "../bundle/content.js";
import { CACHE_FILE_BELOW, CachingFetcher } from "../bundle/caching-fetcher.js";
import type { FetchProgress, SourceOf } from "../bundle/fetch.js";
import { BUNDLE_LOCK_NAME, OCI_LAYOUT_BYTES, indexJsonBytes } from "../bundle/layout.js";
import { splitLock } from "../bundle/split.js";
import { deltaBundlePath, planDelta, summarizeDelta, type BundleDelta } from "../bundle/delta.js";
import { encodeDeltaMarker } from "../plan/delta-file.js";
import type { DeltaBaseContent } from "../plan/delta-types.js";
import { DELTA_MARKER_NAME } from "../store/bundle-index.js";
import { readDeltaBases } from "./delta-bases.js";
import { tarSize } from "../store/tar-layout.js";
import { bundleTarId, writeLayoutTar, type WrittenLayoutTar } from "../bundle/bundle-tar.js";
import { AirlockError, fileErrorReason } from "../errors.js";
import type { ImageList } from "../imagelist/types.js";
import { formatPlatform, parsePlatform } from "../oci/platform.js";
import { checkLock } from "../plan/check.js";
import { encodeLock } from "../plan/lock-file.js";
import type { Lock } from "../plan/lock-types.js";
import { computeTotals } from "../plan/totals.js";
import { attachedOfKept } from "../plan/narrow-attached.js";
import { defaultCacheDir } from "../store/blob-dir.js";
import { BlobCache } from "../store/blob-cache.js";
import { findFilteredImages, type FilteredImage } from "./filtered-images.js";
import { RegistryStore } from "../store/registry-store.js";
import { writeFileAtomic } from "../stream/atomic-file.js";
import { reachedTotal, throttleEvents } from "../util/throttle.js";
import { ClientPool } from "./client-pool.js";
import {
  listFileFor,
  loadListSource,
  loadLockSource,
  type ListSource,
  type LockSource,
} from "./list-input.js";
import { defaultLockFile, lockImageList, resolveLock } from "./lock.js";
import type { RemoteOptions } from "./options.js";
import { withLinkedSignal } from "../util/linked-signal.js";
import type { SignaturePolicy } from "../signature/types.js";

export interface CreateBundleOptions extends RemoteOptions, ListSource {
  /**
   * The lock file; default beside the list (required for a list given as an object, unless `lock`
   * is). Without one, the list is resolved (and the lock written) first.
   */
  lockFile?: string;
  /** The lock as an object (what a lockfile's YAML parses to), instead of `lockFile`; validated as one. */
  lock?: Lock;
  /** The bundle to write; default bundles/<list name>-<lock hash>.tar; required for a list given as an object. */
  output?: string;
  /**
   * Re-lock when the lock no longer matches the list, instead of refusing. A `lock` given as an
   * object is re-resolved in memory (the bundle carries the result; no file is written).
   */
  updateLock?: boolean;
  /** Carry only these platforms ("os/arch[/variant]") of what the lock pins. */
  platforms?: string[];
  /**
   * Content-addressed blob cache; default $XDG_CACHE_HOME/airlock. It keeps
   * manifests, configs and other blobs under 1 MiB as files, and larger ones
   * by reference into the bundles it completed (read by offset, verified).
   */
  cacheDir?: string;
  /** Also keep every downloaded blob as a cache file (for bundles moved away before the next run). */
  cacheLayers?: boolean;
  /** Downloads in flight per registry; default 8. */
  concurrency?: number;
  /** Split into parts each smaller than this many bytes, each a valid layout of whole images. */
  splitBytes?: number;
  /**
   * Make a delta: leave out the configs and layers these bases hold (an inventory.json from the
   * site, an older lock, an older bundle tar). Every manifest is still carried; the bundle names
   * its bases and the blobs it leaves out (airlock-delta.json), and push-bundle checks the
   * target holds them before writing anything.
   */
  since?: string[];
  onEvent?: (event: BundleEvent) => void;
  /**
   * Refuse to write anything unless each image's signature satisfies this policy, checked in
   * the source registry; an entry's (or its registry's) `verify:` in the list overrides it.
   */
  requireSignatures?: SignaturePolicy;
  /** A sigstore trusted_root.json to carry in the bundle (each part), for keyless checks inside the gap. */
  trustedRoot?: string;
}

/**
 * What create-bundle tells as it goes: what it will carry, then the
 * download into the cache (`fetch`, counting what the cache already held)
 * and the tar being written (`write`), each a running byte count that ends
 * at its total. At most ten counts a second; `preflight` comes at once.
 */
export type BundleEvent =
  | {
      type: "preflight";
      output: string;
      images: number;
      /** Platform manifests selected across images. */
      platforms: number;
      /** Distinct manifests and indexes. */
      manifests: number;
      /** Distinct configs and layers. */
      blobs: number;
      bytes: number;
      tarBytes: number;
    }
  | ({ type: "fetch" } & FetchProgress)
  | { type: "write"; bytesDone: number; bytesTotal: number };

export interface CreateBundleResult {
  /** The bundle (the first part when split). */
  file: string;
  sha256File: string;
  sha256: string;
  size: number;
  /** Every file written: one, or one per part with --split. */
  parts: BundlePart[];
  images: number;
  /** Platform manifests selected across images. */
  platforms: number;
  /** Distinct manifests and indexes. */
  manifests: number;
  /** Distinct configs and layers. */
  blobs: number;
  /** Files (manifests and blobs) downloaded by this run; the rest came from the cache. */
  downloaded: number;
  cached: number;
  /** The lock file used (and written, when there was none), or "<object>" for a `lock` given as an object. */
  lockFile: string;
  /** With `since`: the bases, and the blobs (and bytes) left out. */
  delta?: BundleDelta;
  /** Multi-platform indexes carried for some platforms only, as sparse indexes: see FilteredImage. */
  filtered: FilteredImage[];
}

export interface BundlePart {
  file: string;
  size: number;
  sha256: string;
  images: number;
}

/** Copies from the cache in flight when every blob is cached. */
const CACHED_COPIES = 4;

/** One tar to write: its name, its metadata files and its blobs. */
interface PartPlan {
  output: string;
  files: { name: string; bytes: Buffer }[];
  content: BundleContent;
  tarBytes: number;
}

/**
 * Writes one self-contained, deterministic OCI-layout tarball of everything
 * the lock pins (or, with `splitBytes`, several, each a valid layout holding
 * whole images): each blob once, the upstream top manifests unchanged, the
 * lock at the root. Blobs stream from the registries through size and sha256
 * checks into the cache, then into `<output>.partial`, renamed when complete.
 */
export async function createBundle(options: CreateBundleOptions = {}): Promise<CreateBundleResult> {
  const events = throttleEvents(options.onEvent, {
    frequent: (e) => e.type !== "preflight",
    final: reachedTotal,
  });
  try {
    return await withLinkedSignal({ ...options, onEvent: events.emit }, runCreateBundle);
  } finally {
    events.flush();
  }
}

/** Where create-bundle's blobs come from: the cache and their registries. */
interface Downloads {
  cache: BlobCache;
  sourceOf: SourceOf;
}

async function runCreateBundle(options: CreateBundleOptions): Promise<CreateBundleResult> {
  // The default bundle is named after the list file: a list given as an object needs `output`.
  if (options.output === undefined) listFileFor(options, "output", "the bundle");
  const list = await loadListSource(options);
  const cache = new BlobCache(options.cacheDir ?? defaultCacheDir(options.env ?? process.env));
  const pool = new ClientPool(options, list.registries);
  const sourceOf: SourceOf = async (blob) =>
    new RegistryStore(await pool.get(blob.registry), blob.repository);
  try {
    return await bundleList(list, { cache, sourceOf }, options);
  } finally {
    await pool.close();
  }
}

async function bundleList(
  list: ImageList,
  downloads: Downloads,
  options: CreateBundleOptions,
): Promise<CreateBundleResult> {
  const { cache } = downloads;
  // A base that is no base stops the run before anything is locked or written.
  const bases = options.since?.length
    ? await readDeltaBases(options.since, options.signal, cache.root)
    : undefined;
  const source = await loadLockSource(options.lock, options.lockFile, () =>
    defaultLockFile(listFileFor(options, "lockFile or lock", "the lock")),
  );
  const lockFile = source.lockFile;
  const lock = narrowPlatforms(await currentLock(list, source, options), options.platforms);
  const signatures = wantsSignatures(list, options)
    ? await import("./require-signatures.js") // sigstore's verifier costs every other run its start-up
    : undefined;
  await signatures?.requireLockSignatures(lock, list, options.requireSignatures, options);
  const fullPath = (): string => defaultBundlePath(list.file, encodeLock(lock));
  const output = options.output ?? (bases ? deltaBundlePath(fullPath(), bases) : fullPath());
  const full = planBundleContent(lock);
  const all = bases ? planDelta(full, bases).content : full;
  const extra = (await signatures?.carriedFiles(options.trustedRoot)) ?? [];
  const plans = planParts(lock, output, options.splitBytes, bases, extra);
  const tarBytes = plans.reduce((n, p) => n + p.tarBytes, 0);
  await prepareOutput(output, options.output === undefined);
  await checkSpace(plans, tarBytes, all, cache, options);
  const counts = countContent(lock, all);
  options.onEvent?.({
    type: "preflight",
    output:
      plans.length === 1
        ? output
        : `${plans.length} parts (${plans.map((p) => basename(p.output)).join(", ")})`,
    ...counts,
    bytes: all.bytes,
    tarBytes,
  });
  const { parts, fetched } = await writeBundles(plans, all, downloads, options);
  const sha256File = `${output}.sha256`;
  await writeFileAtomic(sha256File, parts.map((p) => `${p.sha256}  ${basename(p.file)}\n`).join(""));
  const first = parts[0] as BundlePart;
  return {
    file: first.file,
    sha256File,
    sha256: first.sha256,
    size: parts.reduce((n, p) => n + p.size, 0),
    parts,
    ...counts,
    downloaded: fetched.downloaded,
    cached: fetched.cached,
    lockFile,
    ...(bases ? { delta: summarizeDelta(full, bases) } : {}),
    filtered: await findFilteredImages(lock, cache.files),
  };
}

/** True when a signature policy applies: asked for, in the list's `verify:`, or a trusted root to carry. */
function wantsSignatures(list: ImageList, options: CreateBundleOptions): boolean {
  return (
    options.requireSignatures !== undefined ||
    options.trustedRoot !== undefined ||
    list.images.some((e) => e.verify !== undefined) ||
    Object.values(list.registries).some((r) => r.verify !== undefined)
  );
}

/** Images, platform manifests, manifests, and configs and layers: the lock's own way of counting. */
function countContent(
  lock: Lock,
  content: BundleContent,
): { images: number; platforms: number; manifests: number; blobs: number } {
  const manifests = content.blobs.filter((b) => b.kind === "manifest").length;
  return {
    images: content.images.length,
    platforms: lock.entries.flatMap((e) => e.images.flatMap((i) => i.platforms)).length,
    manifests,
    blobs: content.blobs.length - manifests,
  };
}

function planParts(
  lock: Lock,
  output: string,
  splitBytes: number | undefined,
  bases: DeltaBaseContent[] | undefined,
  extra: { name: string; bytes: Buffer }[],
): PartPlan[] {
  const plan = (l: Lock, out: string): PartPlan => {
    const delta = bases && planDelta(planBundleContent(l), bases);
    const content = delta?.content ?? planBundleContent(l);
    const files = [
      { name: "oci-layout", bytes: OCI_LAYOUT_BYTES },
      { name: "index.json", bytes: indexJsonBytes(content.images, content.attached) },
      { name: BUNDLE_LOCK_NAME, bytes: Buffer.from(encodeLock(l)) },
      ...(delta ? [{ name: DELTA_MARKER_NAME, bytes: Buffer.from(encodeDeltaMarker(delta.marker)) }] : []),
      ...extra,
    ];
    const tarBytes = tarSize([
      ...files.map((f) => f.bytes.length),
      0,
      0,
      ...content.blobs.map((b) => b.size),
    ]);
    return { output: out, files, content, tarBytes };
  };
  const whole = plan(lock, output);
  if (splitBytes === undefined || whole.tarBytes < splitBytes) return [whole];
  // A delta's parts are sized by what they carry: the blobs its bases hold take no room.
  const carried = new Set(whole.content.blobs.map((b) => b.digest));
  const omitted = new Set(
    planBundleContent(lock).blobs.flatMap((b) => (carried.has(b.digest) ? [] : [b.digest])),
  );
  const locks = splitLock(lock, splitBytes, omitted);
  const parts = locks.map((l, i) => plan(l, partName(output, i + 1, locks.length)));
  const over = parts.find((p) => p.tarBytes >= splitBytes);
  if (over !== undefined) {
    throw new AirlockError(
      "ERR_USAGE",
      `--split ${splitBytes}: ${over.output} would be ${over.tarBytes} bytes; choose a larger size`,
    );
  }
  return parts;
}

/** bundles/x.tar → bundles/x.part1-of-3.tar */
export function partName(output: string, n: number, total: number): string {
  const stem = output.endsWith(".tar") ? output.slice(0, -4) : output;
  return `${stem}.part${n}-of-${total}.tar`;
}

/**
 * Every part, one after another, each in one pass: every blob streams into
 * its place in the part's tar (positional writes, the layout fixed by the
 * lock), from the cache or straight from its registry, several at once.
 * Each part is recorded in the cache once complete, so a later part (and a
 * later run) that shares a blob copies it from there. A part interrupted
 * keeps its partial tar and journal, which the next run continues.
 */
async function writeBundles(
  plans: PartPlan[],
  all: BundleContent,
  downloads: Downloads,
  options: CreateBundleOptions,
): Promise<{ parts: BundlePart[]; fetched: FetchProgress }> {
  const { cache, sourceOf } = downloads;
  const fetchTotal = plans.reduce((n, p) => n + p.content.bytes, 0);
  const tarTotal = plans.reduce((n, p) => n + p.tarBytes, 0);
  let fetchedBefore = 0;
  let written = 0;
  let downloaded = 0;
  const parts: BundlePart[] = [];
  for (const plan of plans) {
    const fetcher = await CachingFetcher.open(
      plan.content.blobs,
      sourceOf,
      cache,
      { cacheLayers: options.cacheLayers },
      (p) =>
        options.onEvent?.({
          type: "fetch",
          ...p,
          bytesDone: fetchedBefore + p.bytesDone,
          bytesTotal: fetchTotal,
          downloaded: downloaded + p.downloaded,
        }),
    );
    const tar = await writePart(plan, fetcher, cache, options, (n) =>
      options.onEvent?.({ type: "write", bytesDone: (written += n), bytesTotal: tarTotal }),
    );
    downloaded += fetcher.progress.downloaded;
    fetchedBefore += plan.content.bytes;
    parts.push({
      file: plan.output,
      size: tar.size,
      sha256: tar.sha256,
      images: plan.content.images.length,
    });
  }
  const fetched = { bytesDone: fetchTotal, bytesTotal: fetchTotal, active: 0, downloaded };
  return { parts, fetched: { ...fetched, cached: all.blobs.length - downloaded } };
}

/**
 * One part's tar, recorded in the cache once complete. A part the cache
 * recorded before with the same content (the same lock and files) comes out
 * the same bytes, so its sha256 is the recorded one instead of a second
 * hash of every byte (each blob is still checked as it is copied).
 */
async function writePart(
  plan: PartPlan,
  fetcher: CachingFetcher,
  cache: BlobCache,
  options: CreateBundleOptions,
  onBytes: (n: number) => void,
): Promise<WrittenLayoutTar> {
  const contentId = bundleTarId(plan.files, plan.content.blobs);
  const knownSha256 = await cache.sha256Of(contentId);
  const tar = await writeLayoutTar(plan.output, plan.files, plan.content.blobs, fetcher, {
    signal: options.signal,
    // From the cache alone, a few copies at once (on worker threads) keep every core busy
    // while the tar's complete prefix, and so its sha256, follows close behind.
    concurrency: fetcher.allCached ? CACHED_COPIES : (options.concurrency ?? 8),
    onBytes,
    resumable: true,
    onKept: (blob) => fetcher.kept(blob),
    ...(knownSha256 !== undefined ? { knownSha256 } : {}),
  });
  await fetcher.flush();
  // The bundle is complete either way: a cache that cannot record it only costs a later run.
  await cache.recordBundle({ ...tar, contentId }).catch(() => undefined);
  return tar;
}

/** mkdir's answer when a file (not a directory) has the name. */
function notADirectory(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === "EEXIST";
}

/** bundles/<list name>-<first 12 hex of the lock's sha256>.tar: the same lock gives the same name. */
export function defaultBundlePath(listFile: string, lockText: string): string {
  const hash = createHash("sha256").update(lockText).digest("hex").slice(0, 12);
  return join("bundles", `${basename(listFile, extname(listFile))}-${hash}.tar`);
}

/** The lock to bundle: the one given when it matches the list, else the list locked now. */
async function currentLock(list: ImageList, source: LockSource, options: CreateBundleOptions): Promise<Lock> {
  const { lock, lockFile } = source;
  const file = list.file;
  if (lock !== undefined) {
    const check = checkLock(list, lock);
    if (check.upToDate) return lock;
    if (options.updateLock !== true) {
      const names = [...check.unlocked.map((u) => u.source), ...check.stale.map((s) => s.source)];
      const named =
        names.length > 5 ? `${names.slice(0, 5).join(", ")} and ${names.length - 5} more` : names.join(", ");
      throw new AirlockError(
        "ERR_LOCK_STALE",
        `${lockFile} does not match ${file} (${named}): run airlock lock, or pass --update-lock`,
      );
    }
  }
  if (source.fromObject) return await resolveLock(list, lock, options);
  return (await lockImageList({ ...options, output: lockFile })).lock;
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
      const { attached: _all, ...rest } = i;
      const attached = attachedOfKept({ ...i, platforms: kept });
      return { ...rest, platforms: kept, ...(attached !== undefined ? { attached } : {}) };
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

/**
 * Stops before downloading when the output's (and cache's) filesystem lacks
 * the space: the tar (less what a partial tar from an earlier run holds
 * already), and the small downloads the cache keeps a file of.
 */
async function checkSpace(
  plans: readonly PartPlan[],
  tarBytes: number,
  content: BundleContent,
  cache: BlobCache,
  options: CreateBundleOptions,
): Promise<void> {
  const output = (plans[0] as PartPlan).output;
  let uncached = 0;
  for (const blob of content.blobs) {
    const kept = blob.size < CACHE_FILE_BELOW || options.cacheLayers === true;
    if (kept && (await cache.locate(blob)) === undefined) uncached += blob.size;
  }
  for (const plan of plans) {
    const partial = await stat(`${plan.output}.partial`).catch(() => undefined);
    tarBytes -= Math.min(partial === undefined ? 0 : partial.blocks * 512, plan.tarBytes);
  }
  await mkdir(cache.root, { recursive: true }).catch((err: unknown) => {
    throw new AirlockError(
      "ERR_FILE",
      `cannot use ${cache.root} as the blob cache: ${notADirectory(err) ? "it is not a directory" : fileErrorReason(err)}; choose another --cache`,
      { cause: err },
    );
  });
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
