import { BundleReader } from "../store/bundle-reader.js";
import type { BlobFile, ContentSource, SourceRef } from "./source.js";

/**
 * A bundle tar as a content source: indexed once (no extraction), blobs read
 * by offset. A part without index.json only contributes blobs.
 */
export async function openBundleSource(file: string, signal?: AbortSignal): Promise<ContentSource> {
  const reader = await BundleReader.open(file, { signal });
  const refs: SourceRef[] = reader.index.metadata.has("index.json") ? reader.refs() : [];
  return {
    name: file,
    refs,
    locate(digest: string): Promise<BlobFile | undefined> {
      const at = reader.index.blobs.get(digest);
      return Promise.resolve(at === undefined ? undefined : { file, offset: at.offset, size: at.size });
    },
  };
}
