import { isImageManifestType, isIndexType } from "../oci/media-types.js";
import { parseManifest } from "../oci/manifest.js";
import type { Descriptor } from "../oci/types.js";
import type { BundleReader } from "../store/bundle-reader.js";

/**
 * The digests of every manifest and index a bundle holds that its index.json
 * reaches (images and what is attached to them), each once. What cannot be read or parsed is left out (verify-bundle
 * reports it); the rest of blobs/ is configs and layers.
 */
export async function bundleManifestDigests(reader: BundleReader): Promise<Set<string>> {
  const seen = new Set<string>();
  const visit = async (d: Descriptor): Promise<void> => {
    if (seen.has(d.digest) || !reader.index.blobs.has(d.digest)) return;
    if (!isIndexType(d.mediaType) && !isImageManifestType(d.mediaType)) return;
    let parsed;
    try {
      parsed = parseManifest(await reader.readBlob(d), d.mediaType);
    } catch {
      return;
    }
    seen.add(d.digest);
    if (parsed.kind === "index") for (const child of parsed.index.manifests) await visit(child);
  };
  for (const ref of reader.refs()) await visit(ref.descriptor);
  for (const attached of reader.attached()) await visit(attached.descriptor);
  return seen;
}
