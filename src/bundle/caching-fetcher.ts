/**
 * The blobs of a bundle as one reader for the tar writer: from the cache
 * when it holds them (in a file of its own, or inside a bundle it recorded),
 * else from their registry, verified as they arrive. A download is read
 * from the wire once and written to its place in the tar; a small one
 * (manifests, configs) also into a cache file at the same time, while a
 * large one lives in the bundle alone, which the cache records once it is
 * complete (the journal beside the partial tar keeps what arrived for a
 * re-run after a crash).
 */
import { Readable } from "node:stream";
import type { Descriptor } from "../oci/types.js";
import { AirlockError, isAirlockError } from "../errors.js";
import type { BlobCache } from "../store/blob-cache.js";
import type { PartialBlob } from "../store/blob-dir.js";
import type { BlobReader } from "../store/types.js";
import { countedStream } from "../stream/count-bytes.js";
import { gatherInto, type PositionalWrite } from "../stream/gathered-writes.js";
import type { FileRange } from "../stream/range-workers.js";
import type { BundleBlob } from "./content.js";
import type { FetchProgress, SourceOf } from "./fetch.js";

/**
 * Downloads smaller than this are also kept as cache files; larger ones only
 * in the bundle (each byte of a layer written once, not twice).
 */
export const CACHE_FILE_BELOW = 1024 * 1024;

export interface CachingFetcherOptions {
  /** Keep every download as a cache file, large ones too. */
  cacheLayers?: boolean;
}

export class CachingFetcher implements BlobReader {
  readonly progress: FetchProgress;
  readonly #blobs: Map<string, BundleBlob>;
  /** Where the cache held each blob it held when the run began. */
  readonly #cached = new Map<string, FileRange>();
  readonly #forgetting: Promise<void>[] = [];
  readonly #sourceOf: SourceOf;
  readonly #cache: BlobCache;
  readonly #onProgress: (p: FetchProgress) => void;
  readonly #fileBelow: number;

  private constructor(
    blobs: readonly BundleBlob[],
    sourceOf: SourceOf,
    cache: BlobCache,
    options: CachingFetcherOptions,
    onProgress: (p: FetchProgress) => void,
  ) {
    this.#fileBelow = options.cacheLayers === true ? Infinity : CACHE_FILE_BELOW;
    this.#blobs = new Map(blobs.map((b) => [b.digest, b]));
    this.#sourceOf = sourceOf;
    this.#cache = cache;
    this.#onProgress = onProgress;
    const bytesTotal = blobs.reduce((n, b) => n + b.size, 0);
    this.progress = { bytesDone: 0, bytesTotal, active: 0, cached: 0, downloaded: 0 };
  }

  /** Notes which blobs the cache holds already (they count as done). */
  static async open(
    blobs: readonly BundleBlob[],
    sourceOf: SourceOf,
    cache: BlobCache,
    options: CachingFetcherOptions = {},
    onProgress: (p: FetchProgress) => void = () => undefined,
  ): Promise<CachingFetcher> {
    const fetcher = new CachingFetcher(blobs, sourceOf, cache, options, onProgress);
    for (const blob of blobs) {
      const at = await cache.locate(blob);
      if (at === undefined) continue;
      fetcher.#cached.set(blob.digest, at);
      fetcher.progress.cached++;
      fetcher.progress.bytesDone += blob.size;
    }
    fetcher.#tell();
    return fetcher;
  }

  /**
   * A blob as a stream: from the cache when it held it, else downloaded
   * (verified by its source as it streams; not kept in the cache: the tar
   * writer takes `blobInto`, which does keep small blobs).
   */
  async fetch(
    descriptor: Pick<Descriptor, "digest" | "size">,
    options: { signal?: AbortSignal } = {},
  ): Promise<Readable> {
    const blob = this.#blobs.get(descriptor.digest);
    if (this.#cached.has(descriptor.digest) || blob === undefined) return await this.#cache.fetch(descriptor);
    this.progress.active++;
    this.#tell();
    let content: Readable;
    try {
      content = await this.#download(blob, options.signal);
    } catch (err) {
      this.progress.active--;
      this.#tell();
      throw err;
    }
    const counted = countedStream(content, (n) => {
      this.progress.bytesDone += n;
      this.#tell();
    });
    counted.once("close", () => {
      this.progress.active--;
      if (counted.readableEnded) this.progress.downloaded++;
      this.#tell();
    });
    return counted;
  }

  /**
   * Downloads a blob the cache did not hold into `write` (its tar slot), and
   * a small one into a cache file at once, each 512 KiB gathered written to
   * both; the cache keeps that (renamed into place) once it has arrived
   * whole and verified.
   */
  async blobInto(
    descriptor: Pick<Descriptor, "digest" | "size">,
    write: PositionalWrite,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const blob = this.#blobs.get(descriptor.digest);
    if (this.#cached.has(descriptor.digest) || blob === undefined) {
      if (await this.#fromCache(descriptor, write)) return;
      if (blob === undefined) return;
    }
    this.progress.active++;
    this.#tell();
    let stored: PartialBlob | undefined;
    try {
      const content = await this.#download(blob, options.signal);
      if (blob.size < this.#fileBelow) {
        stored = await this.#cache.files.begin(blob).catch((err: unknown) => {
          content.destroy();
          throw err;
        });
      }
      const places = stored === undefined ? [write] : [write, stored.write];
      const size = await gatherInto(content, places, (n) => {
        this.progress.bytesDone += n;
        this.#tell();
      });
      if (size !== blob.size)
        throw new AirlockError("ERR_SIZE_MISMATCH", `blob ${blob.digest}: ${size} bytes`);
      await stored?.commit();
      this.progress.downloaded++;
    } catch (err) {
      await stored?.abort();
      throw err;
    } finally {
      this.progress.active--;
      this.#tell();
    }
  }

  /** Where the cache held a blob when the run began, for a copy that verifies as it reads. */
  blobRange(descriptor: Pick<Descriptor, "digest" | "size">): Promise<FileRange | undefined> {
    return Promise.resolve(this.#cached.get(descriptor.digest));
  }

  /** Counts a blob an earlier run had already written into the partial tar as done, as if cached. */
  kept(descriptor: Pick<Descriptor, "digest" | "size">): void {
    if (this.#cached.has(descriptor.digest)) return;
    this.progress.cached++;
    this.progress.bytesDone += descriptor.size;
    this.#tell();
  }

  /**
   * Stops taking a blob from the cache (its copy failed verification: a
   * cache file or recorded bundle changed since): it is downloaded instead,
   * and a recorded bundle it came from is forgotten by the cache (`flush`
   * waits for that), so later runs do not try it again. False when the blob
   * is not one to download.
   */
  forget(descriptor: Pick<Descriptor, "digest">): boolean {
    const at = this.#cached.get(descriptor.digest);
    if (!this.#blobs.has(descriptor.digest) || at === undefined) return false;
    this.#cached.delete(descriptor.digest);
    if (!at.whole) this.#forgetting.push(this.#cache.forgetBundle(at.file).catch(() => undefined));
    this.progress.cached--;
    this.progress.bytesDone -= this.#blobs.get(descriptor.digest)?.size ?? 0;
    return true;
  }

  /** Waits until the cache has forgotten every recorded bundle `forget` found changed. */
  async flush(): Promise<void> {
    await Promise.all(this.#forgetting.splice(0));
  }

  /** True when the cache holds every blob: nothing to download. */
  get allCached(): boolean {
    return this.#cached.size === this.#blobs.size;
  }

  async #download(blob: BundleBlob, signal: AbortSignal | undefined): Promise<Readable> {
    const source = await this.#sourceOf(blob);
    // A source verifies size and sha256 itself (a manifest against its digest, a blob as it streams).
    return blob.kind === "manifest"
      ? Readable.from([await source.manifestGet(blob, { signal })])
      : await source.blobGet(blob, { signal });
  }

  /**
   * Copies a blob the cache holds into `write`. False when what the cache
   * holds failed its check or is gone (a file or recorded bundle changed
   * since the run began) and the blob is one to download instead; other
   * failures (the tar's own writes) are thrown.
   */
  async #fromCache(
    descriptor: Pick<Descriptor, "digest" | "size">,
    write: PositionalWrite,
  ): Promise<boolean> {
    let readFailure: unknown;
    try {
      const content = await this.#cache.fetch(descriptor);
      content.once("error", (err) => (readFailure = err));
      await gatherInto(content, [write]);
      return true;
    } catch (err) {
      const stale = readFailure === err || (isAirlockError(err) && err.code === "ERR_NOT_FOUND");
      if (stale && this.forget(descriptor)) return false;
      throw err;
    }
  }

  #tell(): void {
    this.#onProgress({ ...this.progress });
  }
}
