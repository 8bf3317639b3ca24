/**
 * The blobs of a bundle as one reader for the tar writer: from the cache
 * when it holds them, else from their registry — verified as they arrive
 * and kept in the cache on the way. A download is read from the wire once
 * and written to its place in the tar and to the cache at the same time, so
 * create-bundle's downloads and its tar overlap instead of following each
 * other, and a re-run after a crash finds what had arrived in the cache.
 */
import { PassThrough, Readable } from "node:stream";
import type { Descriptor } from "../oci/types.js";
import { AirlockError } from "../errors.js";
import type { BlobDir, PartialBlob } from "../store/blob-dir.js";
import type { BlobReader } from "../store/types.js";
import { countedStream } from "../stream/count-bytes.js";
import { gatherInto, type PositionalWrite } from "../stream/gathered-writes.js";
import type { BundleBlob } from "./content.js";
import type { FetchProgress, SourceOf } from "./fetch.js";

export class CachingFetcher implements BlobReader {
  readonly progress: FetchProgress;
  readonly #blobs: Map<string, BundleBlob>;
  readonly #cached = new Set<string>();
  readonly #pending: Promise<void>[] = [];
  readonly #sourceOf: SourceOf;
  readonly #cache: BlobDir;
  readonly #onProgress: (p: FetchProgress) => void;

  private constructor(
    blobs: readonly BundleBlob[],
    sourceOf: SourceOf,
    cache: BlobDir,
    onProgress: (p: FetchProgress) => void,
  ) {
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
    cache: BlobDir,
    onProgress: (p: FetchProgress) => void = () => undefined,
  ): Promise<CachingFetcher> {
    const fetcher = new CachingFetcher(blobs, sourceOf, cache, onProgress);
    for (const blob of blobs) {
      if (!(await cache.has(blob))) continue;
      fetcher.#cached.add(blob.digest);
      fetcher.progress.cached++;
      fetcher.progress.bytesDone += blob.size;
    }
    fetcher.#tell();
    return fetcher;
  }

  async fetch(
    descriptor: Pick<Descriptor, "digest" | "size">,
    options: { signal?: AbortSignal } = {},
  ): Promise<Readable> {
    if (this.#cached.has(descriptor.digest)) return await this.#cache.fetch(descriptor);
    const blob = this.#blobs.get(descriptor.digest);
    if (blob === undefined) return await this.#cache.fetch(descriptor);
    this.progress.active++;
    this.#tell();
    try {
      return this.#tee(blob, await this.#download(blob, options.signal), options.signal);
    } catch (err) {
      this.progress.active--;
      throw err;
    }
  }

  /**
   * Downloads a blob the cache did not hold into `write` (its tar slot) and
   * into the cache at once, each 512 KiB gathered written to both; the cache
   * keeps it (renamed into place) once it has arrived whole and verified.
   */
  async blobInto(
    descriptor: Pick<Descriptor, "digest" | "size">,
    write: PositionalWrite,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const blob = this.#blobs.get(descriptor.digest);
    if (this.#cached.has(descriptor.digest) || blob === undefined) {
      await gatherInto(await this.#cache.fetch(descriptor), [write]);
      return;
    }
    this.progress.active++;
    this.#tell();
    let stored: PartialBlob | undefined;
    try {
      const content = await this.#download(blob, options.signal);
      stored = await this.#cache.begin(blob).catch((err: unknown) => {
        content.destroy();
        throw err;
      });
      const size = await gatherInto(content, [write, stored.write], (n) => {
        this.progress.bytesDone += n;
        this.#tell();
      });
      if (size !== blob.size)
        throw new AirlockError("ERR_SIZE_MISMATCH", `blob ${blob.digest}: ${size} bytes`);
      await stored.commit();
      this.progress.downloaded++;
    } catch (err) {
      await stored?.abort();
      throw err;
    } finally {
      this.progress.active--;
      this.#tell();
    }
  }

  /** The cache's file of a blob it held when the run began, for a copy that verifies as it reads. */
  blobFile(descriptor: Pick<Descriptor, "digest" | "size">): Promise<string | undefined> {
    return Promise.resolve(
      this.#cached.has(descriptor.digest) ? this.#cache.path(descriptor.digest) : undefined,
    );
  }

  /** True when the cache holds every blob: nothing to download. */
  get allCached(): boolean {
    return this.#cached.size === this.#blobs.size;
  }

  /** Waits for every copy into the cache; the first failure is thrown. */
  async settle(): Promise<FetchProgress> {
    const results = await Promise.allSettled(this.#pending.splice(0));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    return { ...this.progress };
  }

  async #download(blob: BundleBlob, signal: AbortSignal | undefined): Promise<Readable> {
    const source = await this.#sourceOf(blob);
    // A source verifies size and sha256 itself (a manifest against its digest, a blob as it streams).
    return blob.kind === "manifest"
      ? Readable.from([await source.manifestGet(blob, { signal })])
      : await source.blobGet(blob, { signal });
  }

  /** One stream for the tar; the same bytes go into the cache as they pass. */
  #tee(blob: BundleBlob, content: Readable, signal: AbortSignal | undefined): Readable {
    const counted = countedStream(content, (n) => {
      this.progress.bytesDone += n;
      this.#tell();
    });
    const toTar = new PassThrough({ highWaterMark: 1 << 20 });
    const toCache = new PassThrough({ highWaterMark: 1 << 20 });
    counted.once("error", (err) => {
      toTar.destroy(err);
      toCache.destroy(err);
    });
    counted.pipe(toTar);
    counted.pipe(toCache);
    const stored = this.#cache.put(blob, toCache, { signal, verified: true }).then(
      () => {
        this.progress.active--;
        this.progress.downloaded++;
        this.#tell();
      },
      (err: unknown) => {
        this.progress.active--;
        throw err;
      },
    );
    stored.catch(() => undefined); // told by settle(), or moot when the tar failed first
    this.#pending.push(stored);
    return toTar;
  }

  #tell(): void {
    this.#onProgress({ ...this.progress });
  }
}
