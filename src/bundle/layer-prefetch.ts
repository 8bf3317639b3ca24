/**
 * Layers downloaded while the lock is still being resolved. Until the lock
 * is complete, no blob has a place in the bundle tar (every offset follows
 * from the whole lock), yet each platform manifest the lock fetches names
 * its layers: those the cache lacks are downloaded into the cache at once,
 * verified, so that the network is busy while the lock resolves. When the
 * lock is done, `stop` starts no more; the tar writer copies what landed
 * from the cache, waits for what is still arriving, and downloads the rest
 * into the tar directly.
 */
import { setMaxListeners } from "node:events";
import type { BlobCache } from "../store/blob-cache.js";
import type { BundleBlob } from "./content.js";
import type { SourceOf } from "./fetch.js";

/** Layers smaller than this are not worth fetching ahead (the writer gets them in passing). */
const PREFETCH_MIN = 1024 * 1024;

export class LayerPrefetch {
  readonly #cache: BlobCache;
  readonly #sourceOf: SourceOf;
  readonly #concurrency: number;
  readonly #abort = new AbortController();
  readonly #queue: BundleBlob[] = [];
  readonly #seen = new Set<string>();
  /** Downloads started, by digest: true once the blob is in the cache. */
  readonly #started = new Map<string, Promise<boolean>>();
  /** Layers this run put in the cache as files. */
  readonly #stored: BundleBlob[] = [];
  #active = 0;
  #stopped = false;

  constructor(cache: BlobCache, sourceOf: SourceOf, concurrency: number, signal?: AbortSignal) {
    this.#cache = cache;
    this.#sourceOf = sourceOf;
    this.#concurrency = Math.max(1, concurrency);
    // Each download under way listens to it (the request and the file write).
    setMaxListeners(0, this.#abort.signal);
    signal?.addEventListener("abort", () => this.#abort.abort(signal.reason), { once: true });
  }

  /** A manifest the lock fetched from `registry`/`repository`: its large layers are queued. */
  manifest(registry: string, repository: string, bytes: Buffer): void {
    if (this.#stopped) return;
    for (const layer of layersOf(bytes)) {
      if (layer.size < PREFETCH_MIN || this.#seen.has(layer.digest)) continue;
      this.#seen.add(layer.digest);
      this.#queue.push({ ...layer, kind: "blob", registry, repository });
    }
    this.#pump();
  }

  /** Starts no more downloads; those under way go on. */
  stop(): void {
    this.#stopped = true;
    this.#queue.length = 0;
  }

  /** For a blob whose download was started: whether it landed in the cache (after waiting for it). */
  landed(digest: string): Promise<boolean> | undefined {
    return this.#started.get(digest);
  }

  /**
   * Removes the cache files of the layers fetched ahead, once the bundles
   * carrying them are recorded: the cache then holds them there, once.
   */
  async discard(): Promise<void> {
    await Promise.allSettled([...this.#started.values()]);
    await Promise.all(this.#stored.splice(0).map((b) => this.#cache.files.remove(b)));
  }

  /** Stops, abandons what is under way (its temporary files removed) and waits for it. */
  async close(): Promise<void> {
    this.stop();
    this.#abort.abort();
    await Promise.allSettled([...this.#started.values()]);
  }

  #pump(): void {
    while (!this.#stopped && this.#active < this.#concurrency) {
      const blob = this.#queue.shift();
      if (blob === undefined) return;
      this.#active++;
      const done = this.#download(blob).finally(() => {
        this.#active--;
        this.#pump();
      });
      this.#started.set(blob.digest, done);
    }
  }

  /** One layer into the cache as a file; any failure is left for the tar writer to meet again. */
  async #download(blob: BundleBlob): Promise<boolean> {
    const signal = this.#abort.signal;
    try {
      if ((await this.#cache.locate(blob)) !== undefined) return true;
      const source = await this.#sourceOf(blob);
      const content = await source.blobGet(blob, { signal });
      // The registry source verifies size and sha256 as the body streams.
      await this.#cache.files.put(blob, content, { signal, verified: true });
      this.#stored.push(blob);
      return true;
    } catch {
      return false;
    }
  }
}

/** The layers an image manifest names; none for anything else (an index, unreadable bytes). */
function layersOf(bytes: Buffer): { digest: string; size: number; mediaType: string }[] {
  try {
    const doc = JSON.parse(bytes.toString("utf8")) as { layers?: unknown };
    if (!Array.isArray(doc.layers)) return [];
    return doc.layers.flatMap((l: unknown) => {
      const d = l as { digest?: unknown; size?: unknown; mediaType?: unknown };
      return typeof d.digest === "string" && typeof d.size === "number"
        ? [{ digest: d.digest, size: d.size, mediaType: typeof d.mediaType === "string" ? d.mediaType : "" }]
        : [];
    });
  } catch {
    return [];
  }
}
