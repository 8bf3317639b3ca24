/** What a lock or a bundle holds, counted the same way everywhere. */
export interface ContentCounts {
  images: number;
  /** Platform manifests selected across images (not deduplicated). */
  platforms?: number;
  /** Distinct manifests and indexes. */
  manifests: number;
  /** Distinct configs and layers. */
  blobs: number;
}

/** "3 images (5 platform manifests), 8 manifests, 20 blobs (layers and configs)". */
export function describeContent(c: ContentCounts): string {
  const images =
    c.platforms === undefined
      ? count(c.images, "image")
      : `${count(c.images, "image")} (${count(c.platforms, "platform manifest")})`;
  return `${images}, ${count(c.manifests, "manifest")}, ${count(c.blobs, "blob")} (layers and configs)`;
}

/** 1 image, 2 images. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
