import { createWriteStream } from "node:fs";
import { randomBytes } from "node:crypto";
import { rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { pack } from "tar-stream";
import { AirlockError, messageOf } from "../errors.js";
import { parsePlatform } from "../oci/platform.js";
import { LayerMerge } from "../store/flatten-layers.js";
import { uncompressedLayer } from "../store/layer-stream.js";
import type { ImageSource } from "../store/image-store.js";
import { openSource } from "../store/open.js";
import type { Descriptor } from "../oci/types.js";
import { selectImage } from "../store/select-image.js";
import type { PlatformOptions } from "./options.js";
import { hostPlatform } from "./resolve.js";

export interface ExportOptions extends PlatformOptions {
  /** End `out` when done (default true; false for stdout). */
  end?: boolean;
}

/**
 * Streams the flattened filesystem of an image as one tar (crane export):
 * whiteouts applied, each path once, the upper layer winning. `location` is
 * any image location (a bare reference is a registry image); a
 * multi-platform image gives `platform`, else this machine's.
 */
export async function exportImage(
  location: string,
  out: NodeJS.WritableStream,
  options: ExportOptions = {},
): Promise<void> {
  const { signal } = options;
  const platform = options.platform === undefined ? hostPlatform() : parsePlatform(options.platform);
  const source = await openSource(location, options);
  try {
    const image = await selectImage(source, platform, signal);
    await writeFlattened(source, image.manifest.layers, out, { signal, end: options.end });
  } finally {
    await source.close();
  }
}

/** The merged filesystem of `layers` (bottom first, as in a manifest) from `source`, as a tar into `out`. */
export async function writeFlattened(
  source: ImageSource,
  layers: readonly Descriptor[],
  out: NodeJS.WritableStream,
  options: { signal?: AbortSignal; end?: boolean } = {},
): Promise<void> {
  const { signal } = options;
  const tar = pack();
  const written = pipeline(tar, out, { signal, end: options.end ?? true });
  written.catch(() => undefined);
  const merge = new LayerMerge();
  try {
    for (const layer of [...layers].reverse()) {
      const blob = await source.blobGet(layer, { signal });
      await merge.addLayer(uncompressedLayer(blob, layer.mediaType), tar, signal);
    }
    tar.finalize();
  } catch (err) {
    tar.destroy(err instanceof Error ? err : undefined);
    throw err;
  }
  await written;
}

/** exportImage into a file, written under a temporary name and renamed when complete. */
export async function exportImageToFile(
  location: string,
  file: string,
  options: PlatformOptions = {},
): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await exportImage(location, createWriteStream(temp, { flags: "wx" }), options);
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    if (err instanceof AirlockError) throw err;
    throw new AirlockError("ERR_FILE", `cannot write ${file}: ${messageOf(err)}`, { cause: err });
  }
}
