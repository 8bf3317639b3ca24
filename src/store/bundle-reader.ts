import type { Readable } from "node:stream";
import { AirlockError } from "../errors.js";
import type { Descriptor, Index } from "../oci/types.js";
import { VerifiedFileRange } from "../stream/verified-file-range.js";
import { DELTA_MARKER_NAME, indexBundleTar, type IndexOptions, type TarIndex } from "./bundle-index.js";
import { layoutAttached, type AttachedRef } from "./layout-attached.js";
import { layoutRefs, parseLayoutIndex, type LayoutRef } from "./layout-index.js";
import { openTarFile } from "./tar-index.js";
import type { BlobReader } from "./types.js";

const MAX_MANIFEST = 8 * 1024 * 1024;

/** An image reference named by the bundle's index.json. */
export type BundleRef = LayoutRef;

/**
 * A bundle tar, indexed once, read by offset: blobs stream straight out of
 * the tar (no extraction, no copies), each verified against its digest.
 */
export class BundleReader implements BlobReader {
  readonly file: string;
  readonly index: TarIndex;

  private constructor(index: TarIndex) {
    this.file = index.file;
    this.index = index;
  }

  /** Indexes the tar (with `verify`, hashing every blob on the way). */
  static async open(file: string, options: IndexOptions = {}): Promise<BundleReader> {
    return new BundleReader(await indexBundleTar(file, options));
  }

  has(digest: string): boolean {
    return this.index.blobs.has(digest);
  }

  fetch(descriptor: Pick<Descriptor, "digest" | "size">): Promise<Readable> {
    return this.#open(descriptor, true);
  }

  /**
   * The blob's bytes straight from the tar, NOT verified: only for a consumer
   * that verifies them itself as they pass (the registry upload does), so
   * they are not hashed twice.
   */
  fetchUnverified(descriptor: Pick<Descriptor, "digest" | "size">): Promise<Readable> {
    return this.#open(descriptor, false);
  }

  /**
   * The blob's bytes from the tar, verified as they are read into a small
   * ring of reused buffers (see VerifiedFileRange for the consumer's side of
   * that bargain): the push path, which sends each chunk to a socket.
   */
  openRange(
    descriptor: Pick<Descriptor, "digest" | "size">,
    onBytes?: (total: number) => void,
  ): VerifiedFileRange {
    const at = this.#locate(descriptor);
    const what = `bundle ${this.file}: blob ${descriptor.digest}`;
    return new VerifiedFileRange(
      this.file,
      at.offset,
      { ...descriptor, what },
      { reuseBuffers: true, ...(onBytes ? { onBytes } : {}) },
    );
  }

  #locate(descriptor: Pick<Descriptor, "digest" | "size">): { offset: number; size: number } {
    const at = this.index.blobs.get(descriptor.digest);
    if (at === undefined && this.index.metadata.has(DELTA_MARKER_NAME)) {
      throw new AirlockError(
        "ERR_DELTA_BASE_MISSING",
        `bundle ${this.file} is a delta that leaves out blob ${descriptor.digest}, and the target did not take it from where it holds it (a refused mount?)`,
      );
    }
    if (at === undefined) {
      throw new AirlockError("ERR_BUNDLE_CORRUPT", `bundle ${this.file} lacks blob ${descriptor.digest}`);
    }
    if (at.size !== descriptor.size) {
      const what = `bundle ${this.file}: blob ${descriptor.digest} is ${at.size} bytes, its descriptor says ${descriptor.size}`;
      throw new AirlockError("ERR_BUNDLE_CORRUPT", what);
    }
    return at;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async: a bad descriptor rejects, never throws
  async #open(descriptor: Pick<Descriptor, "digest" | "size">, verified: boolean): Promise<Readable> {
    const at = this.#locate(descriptor);
    const what = `bundle ${this.file}: blob ${descriptor.digest}`;
    return openTarFile(this, at, verified ? { ...descriptor, what } : undefined);
  }

  /** A small blob (a manifest) in memory, verified. */
  async readBlob(descriptor: Pick<Descriptor, "digest" | "size">): Promise<Buffer> {
    if (descriptor.size > MAX_MANIFEST) {
      throw new AirlockError(
        "ERR_BUNDLE_CORRUPT",
        `bundle ${this.file}: manifest ${descriptor.digest} is too large`,
      );
    }
    const chunks: Buffer[] = [];
    for await (const chunk of await this.fetch(descriptor)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** The layout's index.json, parsed. */
  indexJson(): Index {
    const bytes = this.index.metadata.get("index.json");
    if (bytes === undefined)
      throw new AirlockError("ERR_BUNDLE_CORRUPT", `bundle ${this.file} has no index.json`);
    return parseLayoutIndex(bytes, `bundle ${this.file}`, "ERR_BUNDLE_CORRUPT");
  }

  /** Every reference index.json names (by org.opencontainers.image.ref.name), in order. */
  refs(): BundleRef[] {
    return layoutRefs(this.indexJson());
  }

  /** What index.json lists as attached to its images (cosign's tags, referrers), in order. */
  attached(): AttachedRef[] {
    this.#attached ??= this.index.metadata.has("index.json") ? layoutAttached(this.indexJson()) : [];
    return this.#attached;
  }

  #attached: AttachedRef[] | undefined;
}
