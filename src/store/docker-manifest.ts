/**
 * The Docker schema2 manifest airlock gives an image that a docker-archive
 * holds: docker-archive keeps a config and layer files but no manifest, so
 * one is rebuilt the same way on write and on read. Pure.
 */
import { AirlockError } from "../errors.js";
import { MediaType } from "../oci/media-types.js";
import { parseManifest } from "../oci/manifest.js";
import type { Descriptor } from "../oci/types.js";

/** An uncompressed Docker layer. */
export const DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar";

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** The layer media type for a layer file, told by its first bytes. */
export function layerTypeOfBytes(head: Buffer): string {
  if (head.subarray(0, 2).equals(GZIP_MAGIC)) return MediaType.DockerLayerTarGzip;
  if (head.subarray(0, 4).equals(ZSTD_MAGIC)) return MediaType.OciLayerTarZstd;
  return DOCKER_LAYER_TAR;
}

/** The Docker media type of a layer described with any media type. */
export function dockerLayerType(mediaType: string): string {
  if (mediaType === MediaType.OciLayerTarGzip || mediaType === MediaType.DockerLayerTarGzip) {
    return MediaType.DockerLayerTarGzip;
  }
  if (mediaType === MediaType.OciLayerTar || mediaType === DOCKER_LAYER_TAR) return DOCKER_LAYER_TAR;
  if (mediaType.endsWith("+zstd")) return MediaType.OciLayerTarZstd;
  throw new AirlockError("ERR_UNSUPPORTED", `a docker-archive cannot hold a layer of type ${mediaType}`);
}

/** Compact JSON in the field order docker uses: mediaType, size, digest. */
export function dockerManifestBytes(config: Descriptor, layers: readonly Descriptor[]): Buffer {
  const d = (mediaType: string, x: Descriptor): object => ({ mediaType, size: x.size, digest: x.digest });
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.DockerManifest,
      config: d(MediaType.DockerConfig, config),
      layers: layers.map((l) => d(l.mediaType, l)),
    }),
  );
}

/** The manifest a docker-archive gives back for an image manifest written into it. */
export function toDockerManifest(bytes: Buffer): Buffer {
  const parsed = parseManifest(bytes);
  if (parsed.kind !== "image") {
    throw new AirlockError("ERR_UNSUPPORTED", "a docker-archive holds single images, not an index");
  }
  const { config, layers } = parsed.manifest;
  return dockerManifestBytes(
    config,
    layers.map((l) => ({ ...l, mediaType: dockerLayerType(l.mediaType) })),
  );
}
