import { open } from "node:fs/promises";
import { MAX_MANIFEST_BYTES } from "../oci/manifest.js";
import { sha256Digest } from "../oci/digest.js";
import type { Descriptor } from "../oci/types.js";
import type { BlobFile, ContentSource } from "./source.js";

/** Why a manifest could not be read from the pool. */
export type ManifestMiss = "absent" | "too-large" | "corrupt";

/**
 * Every source's blobs as one pool: a blob is found in the first source
 * that holds it with the expected size (bundle parts and several bundles
 * share blobs that way).
 */
export class ContentPool {
  readonly sources: readonly ContentSource[];

  constructor(sources: readonly ContentSource[]) {
    this.sources = sources;
  }

  /** Where the blob is, if some source holds it with `size` bytes. */
  async locate(digest: string, size: number): Promise<BlobFile | undefined> {
    for (const source of this.sources) {
      const at = await source.locate(digest);
      if (at !== undefined && at.size === size) return at;
    }
    return undefined;
  }

  /** A manifest's bytes, checked against its digest; or why there are none. */
  async readManifest(descriptor: Pick<Descriptor, "digest" | "size">): Promise<Buffer | ManifestMiss> {
    if (descriptor.size > MAX_MANIFEST_BYTES) return "too-large";
    const at = await this.locate(descriptor.digest, descriptor.size);
    if (at === undefined) return "absent";
    const bytes = await readAt(at);
    return sha256Digest(bytes) === descriptor.digest ? bytes : "corrupt";
  }
}

async function readAt(at: BlobFile): Promise<Buffer> {
  const handle = await open(at.file, "r");
  try {
    const bytes = Buffer.alloc(at.size);
    let done = 0;
    while (done < at.size) {
      const { bytesRead } = await handle.read(bytes, done, at.size - done, at.offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === at.size ? bytes : bytes.subarray(0, done);
  } finally {
    await handle.close();
  }
}
