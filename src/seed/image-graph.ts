import { AirlockError } from "../errors.js";
import { isImageManifestType, isIndexType } from "../oci/media-types.js";
import { parseManifest } from "../oci/manifest.js";
import type { Descriptor } from "../oci/types.js";
import type { BundleReader } from "../store/bundle-reader.js";

/** A manifest to push, with its bytes as the bundle holds them. */
export interface GraphManifest {
  descriptor: Descriptor;
  bytes: Buffer;
}

/** Everything one reference reaches in a bundle, in push order. */
export interface ImageGraph {
  reference: string;
  top: GraphManifest;
  /** Platform (and attestation) manifests present in the bundle; pushed by digest before the top. */
  children: GraphManifest[];
  /** Configs and layers, each once. */
  blobs: Descriptor[];
}

/**
 * Walks one index.json entry: the top manifest, the children the bundle
 * holds (a sparse index lacks the others), and every config and layer.
 * Manifest bytes are read, verified, from the tar.
 */
export async function imageGraph(
  reader: BundleReader,
  reference: string,
  top: Descriptor,
): Promise<ImageGraph> {
  const topBytes = await reader.readBlob(top);
  const parsed = parseManifest(topBytes, top.mediaType, `${reference}: manifest ${top.digest}`);
  const children: GraphManifest[] = [];
  const blobs = new Map<string, Descriptor>();
  const addImage = (bytes: Buffer, d: Descriptor): void => {
    const m = parseManifest(bytes, d.mediaType, `${reference}: manifest ${d.digest}`);
    if (m.kind !== "image") {
      throw new AirlockError(
        "ERR_MANIFEST_UNSUPPORTED",
        `${reference}: nested index ${d.digest} is not supported`,
      );
    }
    for (const b of [m.manifest.config, ...m.manifest.layers])
      if (!blobs.has(b.digest)) blobs.set(b.digest, b);
  };
  if (parsed.kind === "index") {
    for (const child of parsed.index.manifests) {
      if (!reader.has(child.digest)) continue;
      if (!isImageManifestType(child.mediaType) && !isIndexType(child.mediaType)) continue;
      const bytes = await reader.readBlob(child);
      addImage(bytes, child);
      children.push({ descriptor: child, bytes });
    }
  } else {
    addImage(topBytes, top);
  }
  return { reference, top: { descriptor: top, bytes: topBytes }, children, blobs: [...blobs.values()] };
}
