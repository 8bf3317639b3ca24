/** The filtered indexes of a lock, judged from the top manifests in the blob cache (lock and create-bundle put them there). */
import { parseManifest } from "../oci/manifest.js";
import { isIndexType } from "../oci/media-types.js";
import { formatPlatform, isAttestation } from "../oci/platform.js";
import type { Descriptor } from "../oci/types.js";
import type { BundleReader } from "../store/bundle-reader.js";
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

/** The sparse indexes a bundle carries: index children it does not hold. */
export async function findFilteredInBundle(reader: BundleReader): Promise<FilteredImage[]> {
  const found: FilteredImage[] = [];
  for (const { reference, descriptor } of reader.refs()) {
    if (!isIndexType(descriptor.mediaType) || !reader.has(descriptor.digest)) continue;
    const parsed = parseManifest(await reader.readBlob(descriptor), descriptor.mediaType, reference);
    if (parsed.kind !== "index") continue;
    const runnable = parsed.index.manifests.filter((d) => !isAttestation(d));
    const absent = parsed.index.manifests.filter((d) => !reader.has(d.digest));
    if (absent.length === 0) continue;
    const name = (d: Descriptor): string =>
      formatPlatform(d.platform ?? { os: "unknown", architecture: "unknown" });
    found.push({
      reference,
      digest: descriptor.digest,
      platforms: runnable.filter((d) => reader.has(d.digest)).map(name),
      leftOut: runnable.filter((d) => !reader.has(d.digest)).map(name),
      pinnedByDigest: reference.includes("@"),
    });
  }
  return found;
}
