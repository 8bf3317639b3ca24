/**
 * The attached entries of a bundle's index.json: content that travels with an image (cosign's
 * tags, OCI 1.1 referrers), told apart from the images by airlock's subject annotation. Pure.
 */
import {
  ATTACHED_IMAGE_ANNOTATION,
  ATTACHED_KIND_ANNOTATION,
  ATTACHED_SUBJECT_ANNOTATION,
  isAttachedEntry,
} from "../oci/attached-annotations.js";
import { REF_NAME_ANNOTATION } from "../oci/layout.js";
import type { Descriptor, Index } from "../oci/types.js";

/** One attached manifest as index.json lists it, for one image. */
export interface AttachedRef {
  /** The image it travels with: its full reference, as index.json names the image. */
  image: string;
  /** The digest of the manifest it is attached to. */
  subject: string;
  /** "cosign-sig", "cosign-att", "cosign-sbom" or "referrer"; "" when the entry does not say. */
  kind: string;
  /** cosign's tag ("sha256-<hex>.sig"), taken from the entry's ref.name; absent for referrers. */
  tag?: string;
  descriptor: Descriptor;
}

/** Every attached entry of index.json, in order (subjects before what is attached to them). */
export function layoutAttached(index: Index): AttachedRef[] {
  return index.manifests.filter(isAttachedEntry).map((descriptor) => {
    const a = descriptor.annotations ?? {};
    const name = a[REF_NAME_ANNOTATION];
    const tag = name === undefined ? undefined : tagOf(name);
    return {
      image: a[ATTACHED_IMAGE_ANNOTATION] ?? "",
      subject: a[ATTACHED_SUBJECT_ANNOTATION] ?? "",
      kind: a[ATTACHED_KIND_ANNOTATION] ?? "",
      ...(tag !== undefined ? { tag } : {}),
      descriptor,
    };
  });
}

/** "host:5000/repo:sha256-<hex>.sig" → "sha256-<hex>.sig": the part after the last ":" past the last "/". */
function tagOf(name: string): string | undefined {
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  return colon > slash ? name.slice(colon + 1) : undefined;
}
