/**
 * The shared half of crane's mutations: load one image from a registry, and
 * push an edited copy (new config, new layer list, new blobs) under a tag.
 */
import { Readable } from "node:stream";
import { AirlockError } from "../errors.js";
import { sha256Digest } from "../oci/digest.js";
import { parsePlatform } from "../oci/platform.js";
import type { Descriptor, ImageConfig } from "../oci/types.js";
import { formatReference, parseReference, type Reference } from "../ref/reference.js";
import { connectRegistry } from "../registry/connect.js";
import type { OpenBlob } from "../store/image-store.js";
import { RegistryStore } from "../store/registry-store.js";
import { selectImage, type SelectedImage } from "../store/select-image.js";
import type { PlatformOptions } from "./options.js";
import { hostPlatform } from "./resolve.js";

/** Options of every mutation. */
export interface EditOptions extends PlatformOptions {
  /** Where to push the result ("host/repo:tag"); default: the input reference's own tag. */
  tag?: string;
}

/** An image loaded for editing, and the store it came from. */
export interface LoadedImage {
  ref: Reference;
  source: RegistryStore;
  image: SelectedImage;
}

/** What the edited image is. */
export interface ImageEdit {
  config: ImageConfig;
  layers: Descriptor[];
  /** Blobs the source does not have (new layers), by digest. */
  newBlobs?: Map<string, OpenBlob>;
  /** Where other missing blobs come from (another image, for rebase). */
  blobSources?: RegistryStore[];
  /** Manifest annotations to set. */
  annotations?: Record<string, string>;
}

/** Runs `fn` with the image `reference` names (its platform's image for an index). */
export async function withImage<T>(
  reference: string,
  options: PlatformOptions,
  fn: (loaded: LoadedImage) => Promise<T>,
): Promise<T> {
  const source = await openRegistryImage(reference, options);
  try {
    const platform = options.platform === undefined ? hostPlatform() : parsePlatform(options.platform);
    const image = await selectImage(source, platform, options.signal);
    return await fn({ ref: parseReference(reference), source, image });
  } finally {
    await source.close();
  }
}

/** A registry store for a reference's repository, owning its client. */
export async function openRegistryImage(reference: string, options: PlatformOptions): Promise<RegistryStore> {
  const ref = parseReference(reference);
  const client = await connectRegistry(ref.registry, options);
  return new RegistryStore(client, ref.repository, { reference: ref.digest ?? ref.tag, owned: true });
}

/** Pushes the edited image; returns its manifest digest. */
export async function pushEdit(loaded: LoadedImage, edit: ImageEdit, options: EditOptions): Promise<string> {
  const dest = destination(loaded.ref, options.tag);
  const target = await openRegistryImage(formatReference(dest), options);
  const { signal } = options;
  try {
    const old = loaded.image.manifest;
    const configBytes = Buffer.from(JSON.stringify(edit.config));
    const config = {
      mediaType: old.config.mediaType,
      digest: sha256Digest(configBytes),
      size: configBytes.length,
    };
    const annotations = { ...old.annotations, ...edit.annotations };
    const manifest = {
      ...old,
      config,
      layers: edit.layers,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    for (const layer of edit.layers) {
      if (await target.blobHas(layer, { signal })) continue;
      const fresh = edit.newBlobs?.get(layer.digest);
      if (fresh !== undefined) {
        await target.blobPut(layer, fresh, { signal });
        continue;
      }
      const from = await holder(layer, [loaded.source, ...(edit.blobSources ?? [])], signal);
      await target.blobPut(layer, () => from.blobGet(layer, { signal }), { signal, from });
    }
    await target.blobPut(config, () => Promise.resolve(Readable.from([configBytes])), { signal });
    const descriptor = {
      mediaType: loaded.image.descriptor.mediaType,
      digest: sha256Digest(bytes),
      size: bytes.length,
    };
    await target.manifestPut(descriptor, bytes, { signal });
    await target.tag(descriptor, undefined, { signal });
    return descriptor.digest;
  } finally {
    await target.close();
  }
}

function destination(ref: Reference, tag: string | undefined): Reference {
  if (tag !== undefined) return parseReference(tag);
  if (ref.tag === undefined) {
    throw new AirlockError(
      "ERR_USAGE",
      `${formatReference(ref)} has no tag to push the result to: give one with --tag`,
    );
  }
  return { registry: ref.registry, repository: ref.repository, tag: ref.tag };
}

/** The first store that has the blob. */
async function holder(
  layer: Descriptor,
  stores: RegistryStore[],
  signal?: AbortSignal,
): Promise<RegistryStore> {
  for (const store of stores) if (await store.blobHas(layer, { signal })) return store;
  throw new AirlockError("ERR_NOT_FOUND", `blob ${layer.digest} is in none of the images involved`);
}
