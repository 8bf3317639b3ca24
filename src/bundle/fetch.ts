import { Readable } from "node:stream";
import type { BlobDir } from "../store/blob-dir.js";
import type { ImageSource } from "../store/image-store.js";
import { countedStream } from "../stream/count-bytes.js";
import { mapSettled } from "../util/pool.js";
import type { BundleBlob } from "./content.js";

export interface FetchProgress {
  /** Bytes now in the cache, of all the bundle's blobs. */
  bytesDone: number;
  bytesTotal: number;
  /** Downloads in flight. */
  active: number;
  /** Blobs already cached before this run. */
  cached: number;
  downloaded: number;
}

export interface FetchOptions {
  /** Downloads in flight per registry. */
  concurrency: number;
  signal?: AbortSignal;
  onProgress?: (p: FetchProgress) => void;
}

/** The source (a registry repository) a blob of the bundle is read from. */
export type SourceOf = (blob: BundleBlob) => Promise<ImageSource>;

/**
 * Makes sure every blob is in the cache: what is there (right size) is kept;
 * the rest streams from its registry through size and sha256 checks into the
 * cache, at most `concurrency` downloads per registry. Failures are collected
 * so every missing blob is reported at once.
 */
export async function fetchToCache(
  blobs: readonly BundleBlob[],
  sourceOf: SourceOf,
  cache: BlobDir,
  options: FetchOptions,
): Promise<FetchProgress> {
  const progress: FetchProgress = {
    bytesDone: 0,
    bytesTotal: blobs.reduce((n, b) => n + b.size, 0),
    active: 0,
    cached: 0,
    downloaded: 0,
  };
  const missing: BundleBlob[] = [];
  for (const blob of blobs) {
    if (await cache.has(blob)) {
      progress.cached++;
      progress.bytesDone += blob.size;
    } else missing.push(blob);
  }
  options.onProgress?.({ ...progress });
  const byRegistry = new Map<string, BundleBlob[]>();
  for (const blob of missing) {
    const group = byRegistry.get(blob.registry) ?? [];
    group.push(blob);
    byRegistry.set(blob.registry, group);
  }
  const results = await Promise.all(
    [...byRegistry.values()].map((group) =>
      mapSettled(group, options.concurrency, async (blob) => {
        progress.active++;
        try {
          await download(blob, await sourceOf(blob), cache, options.signal, (n) => {
            progress.bytesDone += n;
            options.onProgress?.({ ...progress });
          });
          progress.downloaded++;
        } finally {
          progress.active--;
        }
      }),
    ),
  );
  const failures = results.flat().flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  if (failures.length > 0) throw failures[0];
  options.onProgress?.({ ...progress });
  return progress;
}

async function download(
  blob: BundleBlob,
  source: ImageSource,
  cache: BlobDir,
  signal: AbortSignal | undefined,
  onBytes: (n: number) => void,
): Promise<void> {
  const content =
    blob.kind === "manifest"
      ? Readable.from([await source.manifestGet(blob, { signal })])
      : await source.blobGet(blob, { signal });
  const counted = countedStream(content, onBytes);
  // A source verifies size and sha256 itself (a manifest against its digest, a blob as it streams).
  await cache.put(blob, counted, { signal, verified: true });
}
