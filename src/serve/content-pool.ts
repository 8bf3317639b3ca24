import { isAirlockError } from "../errors.js";
import { MAX_MANIFEST_BYTES } from "../oci/manifest.js";
import type { Descriptor } from "../oci/types.js";
import type { BlobExtent } from "../store/image-store.js";
import type { ServedSource } from "./sources.js";

/** Why a manifest could not be read from the pool. */
export type ManifestMiss = "absent" | "too-large" | "corrupt";

/**
 * Every source's blobs as one pool: a blob is found in the first source
 * that holds it with the expected size (bundle parts and several bundles
 * share blobs that way).
 */
export class ContentPool {
  readonly sources: readonly ServedSource[];

  constructor(sources: readonly ServedSource[]) {
    this.sources = sources;
  }

  /** Where the blob is, if some source holds it with `size` bytes. */
  async locate(digest: string, size: number): Promise<BlobExtent | undefined> {
    return (await this.#find(digest, size))?.at;
  }

  /** A manifest's bytes, checked against its digest by the source that holds it; or why there are none. */
  async readManifest(descriptor: Descriptor): Promise<Buffer | ManifestMiss> {
    if (descriptor.size > MAX_MANIFEST_BYTES) return "too-large";
    const found = await this.#find(descriptor.digest, descriptor.size);
    if (found === undefined) return "absent";
    try {
      return await found.source.store.manifestGet(descriptor);
    } catch (err) {
      if (isAirlockError(err) && (err.code === "ERR_DIGEST_MISMATCH" || err.code === "ERR_SIZE_MISMATCH")) {
        return "corrupt";
      }
      throw err;
    }
  }

  async #find(digest: string, size: number): Promise<{ source: ServedSource; at: BlobExtent } | undefined> {
    for (const source of this.sources) {
      const at = await source.store.blobLocate(digest);
      if (at !== undefined && at.size === size) return { source, at };
    }
    return undefined;
  }

  /** Releases every source. */
  async close(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.store.close()));
  }
}
