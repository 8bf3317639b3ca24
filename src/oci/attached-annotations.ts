/**
 * The annotations that mark an index.json entry of a bundle as content attached to an image
 * (a cosign signature, attestation or SBOM, or an OCI 1.1 referrer) rather than an image of its
 * own. cosign's tags also keep `org.opencontainers.image.ref.name` ("host/repo:sha256-<hex>.sig"),
 * so OCI tools can still name them; referrers have no name, as in a registry.
 */
import type { Descriptor } from "./types.js";

/** The digest of the manifest the entry is attached to. */
export const ATTACHED_SUBJECT_ANNOTATION = "dev.airlock.attached.subject";
/** The bundled image (its full reference, as index.json names it) the entry travels with. */
export const ATTACHED_IMAGE_ANNOTATION = "dev.airlock.attached.image";
/** How it is attached: "cosign-sig", "cosign-att", "cosign-sbom" or "referrer" (the lock's kinds). */
export const ATTACHED_KIND_ANNOTATION = "dev.airlock.attached.kind";

/** True for an entry airlock wrote for attached content. */
export function isAttachedEntry(descriptor: Descriptor): boolean {
  return descriptor.annotations?.[ATTACHED_SUBJECT_ANNOTATION] !== undefined;
}
