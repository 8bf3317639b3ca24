import {
  ATTACHED_IMAGE_ANNOTATION,
  ATTACHED_KIND_ANNOTATION,
  ATTACHED_SUBJECT_ANNOTATION,
} from "../oci/attached-annotations.js";
import { CONTAINERD_NAME_ANNOTATION, REF_NAME_ANNOTATION } from "../oci/layout.js";
import { MediaType } from "../oci/media-types.js";
import type { Descriptor } from "../oci/types.js";
import { formatRepository, parseReference } from "../ref/reference.js";
import type { BundleAttached, BundleImage } from "./content.js";

export { OCI_LAYOUT_BYTES } from "../oci/layout.js";
export { BUNDLE_LOCK_NAME } from "../store/bundle-index.js";

/**
 * The layout's index.json: one descriptor per image reference (named with
 * the full source reference in both annotations), pointing at the upstream
 * top manifest with its bytes unchanged; then one per manifest attached to
 * an image (see attachedEntry).
 */
export function indexJsonBytes(
  images: readonly BundleImage[],
  attached: readonly BundleAttached[] = [],
): Buffer {
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: [
      ...images.map((i) => ({
        mediaType: i.mediaType,
        digest: i.digest,
        size: i.size,
        annotations: { [CONTAINERD_NAME_ANNOTATION]: i.reference, [REF_NAME_ANNOTATION]: i.reference },
      })),
      ...attached.map(attachedEntry),
    ],
  };
  return Buffer.from(JSON.stringify(index, null, 2) + "\n");
}

/**
 * An attached manifest's entry: its subject's digest, the image it travels with and how it is
 * attached in airlock's annotations; a cosign tag also named as that tag of the image's
 * repository ("host/repo:sha256-<hex>.sig", as OCI tools name images); a referrer with its
 * artifactType and no name.
 */
function attachedEntry(a: BundleAttached): Descriptor {
  const name: Record<string, string> =
    a.tag === undefined ? {} : { [REF_NAME_ANNOTATION]: `${repositoryOf(a.image)}:${a.tag}` };
  return {
    mediaType: a.mediaType,
    digest: a.digest,
    size: a.size,
    ...(a.tag === undefined && a.artifactType !== undefined ? { artifactType: a.artifactType } : {}),
    annotations: {
      ...name,
      [ATTACHED_SUBJECT_ANNOTATION]: a.subject,
      [ATTACHED_IMAGE_ANNOTATION]: a.image,
      [ATTACHED_KIND_ANNOTATION]: a.kind,
    },
  };
}

function repositoryOf(reference: string): string {
  return formatRepository(parseReference(reference));
}
