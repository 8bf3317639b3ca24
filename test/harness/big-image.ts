/**
 * An image with layers large enough to exercise chunked and streamed uploads
 * (airlock's defaults: one PUT up to 32 MiB, PATCHes of 16 MiB above), built
 * in memory from an AES-CTR keystream: incompressible, and the same bytes on
 * every run for the same label.
 */
import { createCipheriv, createHash } from "node:crypto";
import { MediaType } from "../../src/oci/media-types.js";
import { LINUX_AMD64 } from "./fixture-images.js";
import { pushNode } from "./fixture-push.js";
import { buildConfig, buildManifest, toBlob, type BuiltImage, type Layer } from "./image-builder.js";

/** `size` deterministic pseudo-random bytes for `label`. */
export function pseudoRandomBytes(label: string, size: number): Buffer {
  const key = createHash("sha256").update(label).digest().subarray(0, 16);
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

/**
 * A linux/amd64 OCI image whose layers are `sizes` bytes of pseudo-random
 * data (media type: uncompressed layer; the registry never looks inside).
 */
export function buildBigImage(label: string, sizes: number[]): BuiltImage {
  const layers: Layer[] = sizes.map((size, i) => {
    const blob = toBlob(pseudoRandomBytes(`${label}/${i}`, size));
    return { ...blob, diffId: blob.digest };
  });
  const config = {
    ...buildConfig(LINUX_AMD64, layers, { labels: { label } }),
    mediaType: MediaType.OciConfig,
  };
  const typed = layers.map((layer) => ({ ...layer, mediaType: MediaType.OciLayerTar }));
  return buildManifest(MediaType.OciManifest, LINUX_AMD64, config, typed);
}

/** Builds a big image and pushes it as `name:tag` into a plain registry at `baseUrl`. */
export async function pushBigImage(
  baseUrl: string,
  name: string,
  tag: string,
  sizes: number[],
): Promise<BuiltImage> {
  const image = buildBigImage(`${name}:${tag}`, sizes);
  await pushNode(baseUrl, name, image, [tag]);
  return image;
}
