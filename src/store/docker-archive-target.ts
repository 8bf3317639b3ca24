/** `docker-archive:FILE[:REF]` as a target: a tar that `docker load` and skopeo read. */
import { AirlockError } from "../errors.js";
import { isValidDigest, parseDigest } from "../oci/digest.js";
import { parseManifest } from "../oci/manifest.js";
import type { Descriptor, ImageManifest } from "../oci/types.js";
import { formatReference, parseReference } from "../ref/reference.js";
import { toDockerManifest } from "./docker-manifest.js";
import type { ImageTarget, ManifestConverter, OpenBlob, TargetCapabilities } from "./image-store.js";
import { TarWriter } from "./tar-writer.js";

interface Pending {
  manifest: ImageManifest;
  tags: string[];
}

/**
 * Writes a new docker-archive: the config as `<hex>.json`, each layer as
 * stored (gzip stays gzip, which `docker load` accepts) as `<hex>.tar`, and
 * manifest.json with Config, RepoTags and Layers last. Manifests themselves
 * are not kept, so their digests are not either.
 */
export class DockerArchiveTarget implements ImageTarget, ManifestConverter {
  readonly reference: string | undefined;
  readonly capabilities: TargetCapabilities = { keepsManifests: false, holdsIndexes: false };
  readonly #tar: TarWriter;
  readonly #files = new Map<string, string>();
  readonly #images = new Map<string, Pending>();

  private constructor(tar: TarWriter, reference?: string) {
    this.#tar = tar;
    this.reference = reference;
  }

  get name(): string {
    return `docker-archive:${this.#tar.file}`;
  }

  static async create(file: string, reference?: string): Promise<DockerArchiveTarget> {
    if (reference !== undefined) repoTag(reference);
    return new DockerArchiveTarget(await TarWriter.create(file), reference);
  }

  convertManifest(bytes: Buffer): Buffer {
    return toDockerManifest(bytes);
  }

  blobHas(descriptor: Descriptor): Promise<boolean> {
    return Promise.resolve(this.#files.has(descriptor.digest));
  }

  async blobPut(descriptor: Descriptor, open: OpenBlob): Promise<void> {
    if (this.#files.has(descriptor.digest)) return;
    const isConfig = /config|container\.image/.test(descriptor.mediaType);
    const name = `${parseDigest(descriptor.digest).hex}.${isConfig ? "json" : "tar"}`;
    this.#files.set(descriptor.digest, name);
    await this.#tar.stream(name, descriptor, open);
  }

  manifestPut(descriptor: Descriptor, bytes: Buffer): Promise<void> {
    const parsed = parseManifest(bytes, descriptor.mediaType);
    if (parsed.kind !== "image") {
      return Promise.reject(
        new AirlockError(
          "ERR_UNSUPPORTED",
          `${this.name}: a docker-archive holds single images, not an index`,
        ),
      );
    }
    if (!this.#images.has(descriptor.digest))
      this.#images.set(descriptor.digest, { manifest: parsed.manifest, tags: [] });
    return Promise.resolve();
  }

  tag(descriptor: Descriptor, ref?: string): Promise<void> {
    const name = ref ?? this.reference;
    const image = this.#images.get(descriptor.digest);
    if (image === undefined) {
      return Promise.reject(new AirlockError("ERR_NOT_FOUND", `${this.name}: no image ${descriptor.digest}`));
    }
    if (name !== undefined && !isValidDigest(name)) {
      const tag = repoTag(name);
      if (tag !== undefined && !image.tags.includes(tag)) image.tags.push(tag);
    }
    return Promise.resolve();
  }

  async commit(): Promise<void> {
    const entries = [...this.#images.values()].map(({ manifest, tags }) => ({
      Config: this.#nameOf(manifest.config.digest),
      RepoTags: tags,
      Layers: manifest.layers.map((l) => this.#nameOf(l.digest)),
    }));
    await this.#tar.bytes("manifest.json", Buffer.from(JSON.stringify(entries)));
    await this.#tar.commit();
  }

  async abort(): Promise<void> {
    await this.#tar.abort();
  }

  #nameOf(digest: string): string {
    const name = this.#files.get(digest);
    if (name === undefined)
      throw new AirlockError("ERR_NOT_FOUND", `${this.name}: blob ${digest} was never written`);
    return name;
  }
}

/** "host/repo:tag" for RepoTags; undefined for a digest-only reference. */
function repoTag(ref: string): string | undefined {
  const parsed = parseReference(ref);
  if (parsed.tag === undefined) return undefined;
  return formatReference({ registry: parsed.registry, repository: parsed.repository, tag: parsed.tag });
}
