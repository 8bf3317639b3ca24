/** The filtered indexes of a lock, judged from the top manifests in the blob cache (lock and create-bundle put them there). */
import { isIndexType } from "../oci/media-types.js";
import { filteredImages, type FilteredImage } from "../plan/filtered-images.js";
import type { Lock } from "../plan/lock-types.js";
import type { BlobDir } from "../store/blob-dir.js";
import { readAllCapped } from "../store/read-all.js";

export type { FilteredImage } from "../plan/filtered-images.js";

/** Images whose index is not in the cache are not judged; without a cache, none are. */
export async function findFilteredImages(lock: Lock, cache: BlobDir | undefined): Promise<FilteredImage[]> {
  if (cache === undefined) return [];
  const indexes = new Map<string, Buffer>();
  for (const image of lock.entries.flatMap((e) => e.images)) {
    if (!isIndexType(image.mediaType) || indexes.has(image.digest) || !(await cache.has(image))) continue;
    const bytes = await cache
      .fetch(image)
      .then((s) => readAllCapped(s, `index ${image.digest}`))
      .catch(() => undefined);
    if (bytes !== undefined) indexes.set(image.digest, bytes);
  }
  return filteredImages(lock, (digest) => indexes.get(digest));
}
