import { CONTAINERD_NAME_ANNOTATION, REF_NAME_ANNOTATION } from "../oci/layout.js";
import { MediaType } from "../oci/media-types.js";
import type { BundleImage } from "./content.js";

export { OCI_LAYOUT_BYTES } from "../oci/layout.js";
export { BUNDLE_LOCK_NAME } from "../store/bundle-index.js";

/**
 * The layout's index.json: one descriptor per image reference (named with
 * the full source reference in both annotations), pointing at the upstream
 * top manifest with its bytes unchanged.
 */
export function indexJsonBytes(images: readonly BundleImage[]): Buffer {
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: images.map((i) => ({
      mediaType: i.mediaType,
      digest: i.digest,
      size: i.size,
      annotations: { [CONTAINERD_NAME_ANNOTATION]: i.reference, [REF_NAME_ANNOTATION]: i.reference },
    })),
  };
  return Buffer.from(JSON.stringify(index, null, 2) + "\n");
}
