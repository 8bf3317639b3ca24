/**
 * Which locked images are multi-platform indexes carried for some of their
 * platforms only: a bundle holds them as sparse indexes, and a registry that
 * refuses those (Distribution 2.x, Harbor) gets an index of the carried
 * platforms under the tag, with a new digest. Said before it happens, by
 * `lock` and `create-bundle`. Pure: the index bytes come from the caller.
 */
import { parseManifest } from "../oci/manifest.js";
import { formatPlatform, isAttestation } from "../oci/platform.js";
import type { Lock } from "./lock-types.js";

export interface FilteredImage {
  reference: string;
  /** The upstream index digest: what a registry that refuses sparse indexes will not have under the tag. */
  digest: string;
  /** The platforms carried. */
  platforms: string[];
  /** The platforms of the index left out (attestations not counted). */
  leftOut: string[];
  /** The image is pinned by this index digest: at such a registry the pin does not resolve. */
  pinnedByDigest: boolean;
}

/**
 * The filtered indexes of a lock. `indexBytes` gives the raw top manifest of
 * a locked image, or undefined when it is not at hand (that image is not judged).
 */
export function filteredImages(
  lock: Lock,
  indexBytes: (digest: string, size: number) => Buffer | undefined,
): FilteredImage[] {
  const found: FilteredImage[] = [];
  for (const image of lock.entries.flatMap((e) => e.images)) {
    const bytes = image.platforms.length === 0 ? undefined : indexBytes(image.digest, image.size);
    if (bytes === undefined) continue;
    const parsed = parseManifest(bytes, image.mediaType, `manifest ${image.reference}`);
    if (parsed.kind !== "index") continue;
    const carried = new Set([...image.platforms, ...(image.attestations ?? [])].map((m) => m.digest));
    const absent = parsed.index.manifests.filter((d) => !carried.has(d.digest));
    if (absent.length === 0) continue;
    found.push({
      reference: image.reference,
      digest: image.digest,
      platforms: image.platforms.map((p) => p.platform),
      leftOut: absent
        .filter((d) => !isAttestation(d))
        .map((d) => formatPlatform(d.platform ?? { os: "unknown", architecture: "unknown" })),
      pinnedByDigest: image.reference.includes("@"),
    });
  }
  return found;
}
