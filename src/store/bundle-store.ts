import type { Readable } from "node:stream";
import { BundleReader } from "./bundle-reader.js";
import type { Descriptor, Index } from "../oci/types.js";
import type { BlobExtent, ImageSource } from "./image-store.js";
import { emptyLayoutIndex, findInLayout } from "./layout-index.js";
import type { ReleasableReadable } from "../registry/blob-upload.js";

/**
 * `bundle:FILE[:REF]`, read-only: an airlock bundle read by offset through
 * BundleReader. REF is a reference the bundle carries, written in full or
 * short ("ubuntu:22.04" finds "docker.io/library/ubuntu:22.04").
 */
export class BundleSource implements ImageSource {
  readonly reader: BundleReader;
  readonly reference: string | undefined;

  private constructor(reader: BundleReader, reference?: string) {
    this.reader = reader;
    this.reference = reference;
  }

  get name(): string {
    return `bundle:${this.reader.file}`;
  }

  /** Indexes the bundle (not hashing it: every blob read is verified anyway). */
  static async open(file: string, reference?: string, signal?: AbortSignal): Promise<BundleSource> {
    return new BundleSource(await BundleReader.open(file, { signal }), reference);
  }

  resolve(ref?: string): Promise<Descriptor> {
    return Promise.resolve().then(() =>
      findInLayout(this.reader.indexJson(), ref ?? this.reference, this.name),
    );
  }

  async manifestGet(descriptor: Descriptor): Promise<Buffer> {
    return await this.reader.readBlob(descriptor);
  }

  async blobGet(descriptor: Pick<Descriptor, "digest" | "size">): Promise<Readable> {
    return await this.reader.fetch(descriptor);
  }

  /** Straight from the tar by offset: the upload verifies as the bytes leave. */
  async blobGetUnverified(descriptor: Pick<Descriptor, "digest" | "size">): Promise<Readable> {
    return await this.reader.fetchUnverified(descriptor);
  }

  blobOpenVerified(
    descriptor: Pick<Descriptor, "digest" | "size">,
    onBytes: (total: number) => void,
  ): ReleasableReadable {
    return this.reader.openRange(descriptor, onBytes);
  }

  /** True when the bundle holds this blob or manifest (a sparse index lacks some children). */
  has(digest: string): boolean {
    return this.reader.has(digest);
  }

  tagList(): Promise<string[]> {
    return Promise.resolve(this.reader.refs().map((r) => r.reference));
  }

  /** index.json; empty for a part of a split bundle that carries none. */
  layoutIndex(): Promise<Index> {
    return Promise.resolve().then(() =>
      this.reader.index.metadata.has("index.json") ? this.reader.indexJson() : emptyLayoutIndex(),
    );
  }

  /** Where the blob's bytes are in the tar. */
  blobLocate(digest: string): Promise<BlobExtent | undefined> {
    const at = this.reader.index.blobs.get(digest);
    return Promise.resolve(at === undefined ? undefined : { file: this.reader.file, ...at });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
