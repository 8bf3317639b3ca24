/** `docker-archive:FILE[:REF]` as a source: what `docker save` writes, read by offset. */
import type { Readable } from "node:stream";
import { AirlockError } from "../errors.js";
import { sha256Digest } from "../oci/digest.js";
import { MediaType } from "../oci/media-types.js";
import type { Descriptor } from "../oci/types.js";
import { formatReference, parseReference } from "../ref/reference.js";
import { dockerManifestBytes, layerTypeOfBytes } from "./docker-manifest.js";
import type { ImageSource } from "./image-store.js";
import { indexTarFile, openTarFile, type TarFile, type TarFileIndex } from "./tar-index.js";

/** One entry of manifest.json. */
interface SavedImage {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/**
 * Reads a docker-archive (`docker save`, `skopeo copy … docker-archive:`).
 * Each image's manifest is rebuilt from its config and layer files, which
 * are served as they are stored (gzip stays gzip); the archive is read once
 * to index and hash it.
 */
export class DockerArchiveSource implements ImageSource {
  readonly reference: string | undefined;
  readonly #tar: TarFileIndex;
  readonly #images: SavedImage[];
  readonly #byDigest = new Map<string, TarFile>();
  readonly #manifests = new Map<string, Buffer>();

  private constructor(tar: TarFileIndex, images: SavedImage[], reference?: string) {
    this.#tar = tar;
    this.#images = images;
    this.reference = reference;
    for (const file of tar.files.values())
      if (file.digest !== undefined) this.#byDigest.set(file.digest, file);
  }

  get name(): string {
    return `docker-archive:${this.#tar.file}`;
  }

  /** Indexes and hashes the archive. @throws AirlockError ERR_FILE when it is missing or not a docker-archive. */
  static async open(file: string, reference?: string, signal?: AbortSignal): Promise<DockerArchiveSource> {
    const tar = await indexTarFile(file, "docker-archive", {
      keep: (n) => n === "manifest.json",
      hash: true,
      signal,
    });
    const bytes = tar.metadata.get("manifest.json");
    if (bytes === undefined) {
      throw new AirlockError(
        "ERR_FILE",
        `docker-archive:${file} has no manifest.json: not a docker save archive`,
      );
    }
    return new DockerArchiveSource(tar, parseSaved(bytes, file), reference);
  }

  resolve(ref?: string): Promise<Descriptor> {
    return Promise.resolve().then(() => this.#resolve(ref));
  }

  #resolve(ref: string | undefined): Descriptor {
    const bytes = this.#manifestOf(this.#pick(ref ?? this.reference));
    const digest = sha256Digest(bytes);
    this.#manifests.set(digest, bytes);
    return { mediaType: MediaType.DockerManifest, digest, size: bytes.length };
  }

  manifestGet(descriptor: Descriptor): Promise<Buffer> {
    const bytes = this.#manifests.get(descriptor.digest);
    if (bytes !== undefined) return Promise.resolve(bytes);
    return Promise.reject(
      new AirlockError("ERR_NOT_FOUND", `${this.name} has no manifest ${descriptor.digest}`),
    );
  }

  blobGet(descriptor: Pick<Descriptor, "digest" | "size">): Promise<Readable> {
    const at = this.#byDigest.get(descriptor.digest);
    if (at === undefined) {
      return Promise.reject(
        new AirlockError("ERR_NOT_FOUND", `${this.name} lacks blob ${descriptor.digest}`),
      );
    }
    return Promise.resolve(
      openTarFile(this.#tar, at, { ...descriptor, what: `${this.name}: ${descriptor.digest}` }),
    );
  }

  tagList(): Promise<string[]> {
    return Promise.resolve(this.#images.flatMap((i) => i.RepoTags ?? []));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #pick(ref: string | undefined): SavedImage {
    const images = this.#images;
    if (ref === undefined) {
      const [only] = images;
      if (images.length === 1 && only !== undefined) return only;
      const tags = images.flatMap((i) => i.RepoTags ?? []).join(", ");
      throw new AirlockError(
        "ERR_USAGE",
        `${this.name} holds ${images.length} images; name one as ${this.name}:REF or :@N (it has: ${tags})`,
      );
    }
    const byIndex = /^@(\d+)$/.exec(ref);
    const found = byIndex ? images[Number(byIndex[1])] : images.find((i) => hasTag(i, ref));
    if (found === undefined) {
      const tags = images.flatMap((i) => i.RepoTags ?? []).join(", ") || "no tags";
      throw new AirlockError("ERR_NOT_FOUND", `"${ref}" is not in ${this.name} (it has: ${tags})`);
    }
    return found;
  }

  #manifestOf(image: SavedImage): Buffer {
    const config = this.#file(image.Config);
    const layers = image.Layers.map((name) => {
      const file = this.#file(name);
      return {
        mediaType: layerTypeOfBytes(file.head ?? Buffer.alloc(0)),
        digest: file.digest ?? "",
        size: file.size,
      };
    });
    return dockerManifestBytes(
      { mediaType: MediaType.DockerConfig, digest: config.digest ?? "", size: config.size },
      layers,
    );
  }

  #file(name: string): TarFile {
    const file = this.#tar.files.get(name.replace(/^\.?\/+/, ""));
    if (file === undefined)
      throw new AirlockError("ERR_FILE", `${this.name}: manifest.json names ${name}, which is missing`);
    return file;
  }
}

function parseSaved(bytes: Buffer, file: string): SavedImage[] {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch {
    value = undefined;
  }
  const ok =
    Array.isArray(value) &&
    value.every((i: SavedImage) => typeof i?.Config === "string" && Array.isArray(i.Layers));
  if (!ok)
    throw new AirlockError("ERR_FILE", `docker-archive:${file}: manifest.json is not a docker save manifest`);
  return value as SavedImage[];
}

function hasTag(image: SavedImage, ref: string): boolean {
  const norm = (r: string): string | undefined => {
    try {
      return formatReference(parseReference(r));
    } catch {
      return undefined;
    }
  };
  const want = norm(ref);
  return (image.RepoTags ?? []).some((t) => t === ref || (want !== undefined && norm(t) === want));
}
