import type { Readable } from "node:stream";
import type { Descriptor } from "../oci/types.js";
import type { PositionalWrite } from "../stream/gathered-writes.js";
import type { FileRange } from "../stream/range-workers.js";

/** Content addressed by digest, read as a stream verified against the descriptor. */
export interface BlobReader {
  /** The blob's bytes; the stream fails unless they have the descriptor's size and sha256. */
  fetch(
    descriptor: Pick<Descriptor, "digest" | "size">,
    options?: { signal?: AbortSignal },
  ): Promise<Readable>;
  /**
   * Where a local file holds the blob (a file of its own, or a range of a
   * bundle), for a reader that copies it by itself and checks size and
   * sha256 as it reads (a worker copying it into a tar); undefined when the
   * blob has to come through `fetch`.
   */
  blobRange?(descriptor: Pick<Descriptor, "digest" | "size">): Promise<FileRange | undefined>;
  /**
   * Stops offering the blob's local copy (it failed its check as it was
   * read), so that `blobInto` and `fetch` get it from elsewhere; false when
   * there is nowhere else.
   */
  forget?(descriptor: Pick<Descriptor, "digest" | "size">): boolean;
  /**
   * Writes the blob's bytes, verified as they arrive, by position through
   * `write` (into a tar slot, say), without a stream between; fails as
   * `fetch`'s stream would.
   */
  blobInto?(
    descriptor: Pick<Descriptor, "digest" | "size">,
    write: PositionalWrite,
    options?: { signal?: AbortSignal },
  ): Promise<void>;
}

/** A place blobs can be written to, atomically and verified. */
export interface BlobWriter {
  /** True when the blob is present with the right size. */
  has(descriptor: Pick<Descriptor, "digest" | "size">): Promise<boolean>;
  /** Stores the stream's bytes under the digest, failing (and keeping nothing) unless they verify. */
  put(
    descriptor: Pick<Descriptor, "digest" | "size">,
    content: Readable,
    options?: { signal?: AbortSignal },
  ): Promise<void>;
}

export interface BlobStore extends BlobReader, BlobWriter {}
