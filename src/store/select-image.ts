import { AirlockError } from "../errors.js";
import { parseManifest } from "../oci/manifest.js";
import { formatPlatform, listPlatforms, selectPlatform } from "../oci/platform.js";
import type { Descriptor, ImageConfig, ImageManifest, Platform } from "../oci/types.js";
import type { ImageSource } from "./image-store.js";
import { readAllCapped } from "./read-all.js";

/** One image manifest out of a source, with its config. */
export interface SelectedImage {
  descriptor: Descriptor;
  bytes: Buffer;
  manifest: ImageManifest;
  config: ImageConfig;
  configBytes: Buffer;
}

/**
 * The image a source's reference names; of a multi-platform image, the
 * `platform` child (this machine's platform is for the caller to pass).
 * @throws AirlockError ERR_PLATFORM_NOT_FOUND when the index lacks it.
 */
export async function selectImage(
  source: ImageSource,
  platform: Platform,
  signal?: AbortSignal,
): Promise<SelectedImage> {
  let descriptor = await source.resolve(undefined, { signal });
  let bytes = await source.manifestGet(descriptor, { signal });
  let parsed = parseManifest(bytes, descriptor.mediaType, `${source.name}: manifest ${descriptor.digest}`);
  if (parsed.kind === "index") {
    const child = selectPlatform(parsed.index.manifests, platform);
    if (child === undefined) {
      const have = listPlatforms(parsed.index.manifests).join(", ") || "none";
      throw new AirlockError(
        "ERR_PLATFORM_NOT_FOUND",
        `${source.name} has no ${formatPlatform(platform)} image; it has: ${have}`,
      );
    }
    descriptor = child;
    bytes = await source.manifestGet(child, { signal });
    parsed = parseManifest(bytes, child.mediaType, `${source.name}: manifest ${child.digest}`);
    if (parsed.kind !== "image") {
      throw new AirlockError("ERR_MANIFEST_UNSUPPORTED", `${source.name}: ${child.digest} is not an image`);
    }
  }
  const manifest = parsed.manifest;
  const configBytes = await readAllCapped(
    await source.blobGet(manifest.config, { signal }),
    `config ${manifest.config.digest}`,
  );
  let config: ImageConfig;
  try {
    config = JSON.parse(configBytes.toString("utf8")) as ImageConfig;
  } catch (err) {
    throw new AirlockError("ERR_MANIFEST_INVALID", `config ${manifest.config.digest} is not JSON`, {
      cause: err,
    });
  }
  return { descriptor: { ...descriptor, mediaType: parsed.mediaType }, bytes, manifest, config, configBytes };
}
