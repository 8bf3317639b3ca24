/** Content negotiation for manifests, as registry:2 does it for OCI types. Pure. */

import { normalizeContentType } from "../oci/manifest.js";
import { MediaType } from "../oci/media-types.js";

const OCI_TYPES: readonly string[] = [MediaType.OciManifest, MediaType.OciIndex];

/**
 * Whether a manifest of `mediaType` may be served to a client that sent
 * `accept`. Like registry:2, an OCI manifest or index is refused (404) when
 * the client lists media types and not that one; no Accept, and a wildcard,
 * accept anything. Unlike registry:2, a Docker type is never rewritten (no
 * list-to-amd64-child, no schema 1): it is served as stored, and the client
 * reads Content-Type.
 */
export function acceptsManifest(accept: string | string[] | undefined, mediaType: string): boolean {
  if (!OCI_TYPES.includes(mediaType)) return true;
  const listed = acceptedTypes(accept);
  if (listed.length === 0) return true;
  return listed.some((type) => type === mediaType || type === "*/*" || type === "application/*");
}

function acceptedTypes(accept: string | string[] | undefined): string[] {
  const headers = accept === undefined ? [] : Array.isArray(accept) ? accept : [accept];
  return headers
    .flatMap((header) => header.split(","))
    .map((part) => normalizeContentType(part))
    .filter((type): type is string => type !== undefined);
}
