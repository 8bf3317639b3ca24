// The JSON documents of a bench image, in OCI or Docker schema2 media types: a config whose
// rootfs lists each layer's diff_id, a manifest over it, and an OCI index or Docker manifest list
// over several. Each is serialised once and its digest is the sha256 of exactly those bytes.
import { sha256Digest } from "../src/oci/digest.js";
import type { Descriptor, ImageConfig, ImageManifest, Index, Platform } from "../src/oci/types.js";
import { FIXED_CREATED, mediaTypesOf, type ImageFormat } from "../test/harness/image-builder.js";
import type { LayerBlob } from "./layer-file.js";

/** A serialised document and its descriptor's fields. */
export interface Doc {
  mediaType: string;
  digest: string;
  size: number;
  bytes: Buffer;
}

/** One platform's image: its manifest, config and layers. */
export interface PlatformImage {
  platform: Platform;
  manifest: Doc;
  config: Doc;
  layers: LayerBlob[];
}

function doc(mediaType: string, value: unknown): Doc {
  const bytes = Buffer.from(JSON.stringify(value), "utf8");
  return { mediaType, digest: sha256Digest(bytes), size: bytes.length, bytes };
}

function descriptor(mediaType: string, blob: { digest: string; size: number }): Descriptor {
  return { mediaType, digest: blob.digest, size: blob.size };
}

/** The config and manifest of one platform's image over `layers` (bottom first). */
export function buildPlatformImage(
  format: ImageFormat,
  platform: Platform,
  layers: LayerBlob[],
  env: string[],
): PlatformImage {
  const types = mediaTypesOf(format);
  const value: ImageConfig = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant === undefined ? {} : { variant: platform.variant }),
    created: FIXED_CREATED,
    config: { Env: ["PATH=/usr/local/bin:/usr/bin:/bin", ...env], Cmd: ["/opt/app/bin/start"] },
    rootfs: { type: "layers", diff_ids: layers.map((layer) => layer.diffId) },
    history: layers.map((layer, i) => ({
      created: FIXED_CREATED,
      created_by: `airlock-bench layer ${i} ${layer.diffId.slice(7, 19)}`,
    })),
  };
  const config = doc(types.config, value);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: types.manifest,
    config: descriptor(types.config, config),
    layers: layers.map((layer) => descriptor(types.layer, layer)),
  };
  return { platform, manifest: doc(types.manifest, manifest), config, layers };
}

/** An OCI index or a Docker manifest list of `images`, each with its platform. */
export function buildIndexDoc(format: ImageFormat, images: PlatformImage[]): Doc {
  const mediaType = mediaTypesOf(format).index;
  const index: Index = {
    schemaVersion: 2,
    mediaType,
    manifests: images.map((image) => ({
      ...descriptor(image.manifest.mediaType, image.manifest),
      platform: image.platform,
    })),
  };
  return doc(mediaType, index);
}
