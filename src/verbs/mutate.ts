/** crane's mutations: each pushes a new image and returns its digest. */
import { basename } from "node:path";
import { PassThrough } from "node:stream";
import { AirlockError } from "../errors.js";
import { MediaType } from "../oci/media-types.js";
import type { ImageConfig } from "../oci/types.js";
import type { OpenBlob } from "../store/image-store.js";
import { pushEdit, withImage, type EditOptions, type LoadedImage } from "./edit-image.js";
import { writeFlattened } from "./export.js";
import { layerFromPath, layerFromTar, type LayerFile } from "./layer-file.js";

export type { EditOptions } from "./edit-image.js";

/** Config and manifest changes `mutate` makes; anything left out stays. */
export interface ConfigChanges {
  /** Added to (or replacing) the config's labels. */
  labels?: Record<string, string>;
  /** Added to the manifest's annotations. */
  annotations?: Record<string, string>;
  /** "KEY=VALUE": replaces KEY's entry, or is added. */
  env?: string[];
  entrypoint?: string[];
  cmd?: string[];
  user?: string;
  workdir?: string;
}

/** Changes an image's config (crane mutate) and pushes the result. */
export async function mutateImage(
  reference: string,
  changes: ConfigChanges,
  options: EditOptions = {},
): Promise<string> {
  return await withImage(reference, options, async (loaded) => {
    const config = structuredClone(loaded.image.config);
    const c = (config.config ??= {});
    if (changes.labels !== undefined) c.Labels = { ...c.Labels, ...changes.labels };
    if (changes.env !== undefined) c.Env = mergeEnv(c.Env ?? [], changes.env);
    if (changes.entrypoint !== undefined) c.Entrypoint = changes.entrypoint;
    if (changes.cmd !== undefined) c.Cmd = changes.cmd;
    if (changes.user !== undefined) c.User = changes.user;
    if (changes.workdir !== undefined) c.WorkingDir = changes.workdir;
    const edit = { config, layers: loaded.image.manifest.layers, annotations: changes.annotations };
    return await pushEdit(loaded, edit, options);
  });
}

/** Adds a layer per path (a tar, gzipped or not, or a directory) on top of an image (crane append). */
export async function appendLayers(
  reference: string,
  paths: string[],
  options: EditOptions = {},
): Promise<string> {
  if (paths.length === 0)
    throw new AirlockError("ERR_USAGE", "append needs at least one tar file or directory");
  return await withImage(reference, options, async (loaded) => {
    const files: LayerFile[] = [];
    try {
      for (const path of paths) files.push(await layerFromPath(path, layerType(loaded), options.signal));
      const history = files.map((_f, i) => ({ created_by: `airlock append ${basename(paths[i] ?? "")}` }));
      return await pushWithLayers(loaded, files, options, {
        keep: loaded.image.manifest.layers.length,
        history,
      });
    } finally {
      await Promise.all(files.map((f) => f.remove()));
    }
  });
}

/** Squashes an image's layers into one with the same filesystem (crane flatten). */
export async function flattenImage(reference: string, options: EditOptions = {}): Promise<string> {
  return await withImage(reference, options, async (loaded) => {
    const tar = new PassThrough();
    const writing = writeFlattened(loaded.source, loaded.image.manifest.layers, tar, {
      signal: options.signal,
    });
    const [file] = await Promise.all([layerFromTar(tar, layerType(loaded), options.signal), writing]);
    try {
      const count = loaded.image.manifest.layers.length;
      const history = [{ created_by: "airlock flatten", comment: `flattened from ${count} layers` }];
      return await pushWithLayers(loaded, [file], options, { keep: 0, history });
    } finally {
      await file.remove();
    }
  });
}

/** The image's layers up to `keep`, then the new files; history and diff IDs to match. */
async function pushWithLayers(
  loaded: LoadedImage,
  files: LayerFile[],
  options: EditOptions,
  shape: { keep: number; history: NonNullable<ImageConfig["history"]> },
): Promise<string> {
  const config = structuredClone(loaded.image.config);
  const diffIds = (config.rootfs?.diff_ids ?? []).slice(0, shape.keep);
  config.rootfs = { type: "layers", diff_ids: [...diffIds, ...files.map((f) => f.diffId)] };
  config.history = [...(shape.keep === 0 ? [] : (config.history ?? [])), ...shape.history];
  const layers = [...loaded.image.manifest.layers.slice(0, shape.keep), ...files.map((f) => f.descriptor)];
  const newBlobs = new Map<string, OpenBlob>(files.map((f) => [f.descriptor.digest, f.open]));
  return await pushEdit(loaded, { config, layers, newBlobs }, options);
}

/** New layers are gzip, typed like the image's manifest. */
export function layerType(loaded: LoadedImage): string {
  return loaded.image.descriptor.mediaType === MediaType.DockerManifest
    ? MediaType.DockerLayerTarGzip
    : MediaType.OciLayerTarGzip;
}

function mergeEnv(env: string[], changes: string[]): string[] {
  const out = [...env];
  for (const change of changes) {
    const key = change.split("=")[0] ?? change;
    const at = out.findIndex((e) => e.split("=")[0] === key);
    if (at === -1) out.push(change);
    else out[at] = change;
  }
  return out;
}
