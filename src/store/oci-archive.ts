/** `oci-archive:FILE[:REF]`: an OCI image layout in a tar, read by offset and written as a stream. */
import { Readable } from "node:stream";
import { AirlockError } from "../errors.js";
import { parseDigest } from "../oci/digest.js";
import { OCI_LAYOUT_BYTES as OCI_LAYOUT } from "../oci/layout.js";
import type { Descriptor, Index } from "../oci/types.js";
import type { ImageSource, ImageTarget, OpenBlob, TargetCapabilities } from "./image-store.js";
import {
  emptyLayoutIndex,
  findInLayout,
  layoutIndexBytes,
  layoutNames,
  parseLayoutIndex,
  withLayoutEntry,
} from "./layout-index.js";
import { checkSmall, readAllCapped } from "./read-all.js";
import { indexTarFile, openTarFile, type TarFileIndex } from "./tar-index.js";
import { TarWriter } from "./tar-writer.js";

/** Reads an oci-archive without unpacking it. */
export class OciArchiveSource implements ImageSource {
  readonly reference: string | undefined;
  readonly #tar: TarFileIndex;
  readonly #index: Index;

  private constructor(tar: TarFileIndex, index: Index, reference?: string) {
    this.#tar = tar;
    this.#index = index;
    this.reference = reference;
  }

  get name(): string {
    return `oci-archive:${this.#tar.file}`;
  }

  /** Indexes the archive. @throws AirlockError ERR_FILE when it is missing or not an OCI layout tar. */
  static async open(file: string, reference?: string, signal?: AbortSignal): Promise<OciArchiveSource> {
    const tar = await indexTarFile(file, "oci-archive", { keep: (n) => n === "index.json", signal });
    const bytes = tar.metadata.get("index.json");
    if (bytes === undefined) {
      throw new AirlockError("ERR_FILE", `oci-archive:${file} is not an OCI layout tar (no index.json)`);
    }
    return new OciArchiveSource(tar, parseLayoutIndex(bytes, `oci-archive:${file}`), reference);
  }

  resolve(ref?: string): Promise<Descriptor> {
    return Promise.resolve().then(() => findInLayout(this.#index, ref ?? this.reference, this.name));
  }

  async manifestGet(descriptor: Descriptor): Promise<Buffer> {
    checkSmall(descriptor.size, `manifest ${descriptor.digest}`);
    return await readAllCapped(await this.blobGet(descriptor), `manifest ${descriptor.digest}`);
  }

  blobGet(descriptor: Pick<Descriptor, "digest" | "size">): Promise<Readable> {
    const at = this.#tar.files.get(`blobs/sha256/${parseDigest(descriptor.digest).hex}`);
    if (at === undefined) {
      return Promise.reject(
        new AirlockError("ERR_NOT_FOUND", `${this.name} lacks blob ${descriptor.digest}`),
      );
    }
    return Promise.resolve(
      openTarFile(this.#tar, at, { ...descriptor, what: `${this.name}: blob ${descriptor.digest}` }),
    );
  }

  tagList(): Promise<string[]> {
    return Promise.resolve(layoutNames(this.#index));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Writes a new oci-archive: blobs as they come, index.json last, renamed into place on commit. */
export class OciArchiveTarget implements ImageTarget {
  readonly reference: string | undefined;
  readonly capabilities: TargetCapabilities = { keepsManifests: true, holdsIndexes: true };
  readonly #tar: TarWriter;
  readonly #written = new Set<string>();
  #index: Index = emptyLayoutIndex();

  private constructor(tar: TarWriter, reference?: string) {
    this.#tar = tar;
    this.reference = reference;
  }

  get name(): string {
    return `oci-archive:${this.#tar.file}`;
  }

  static async create(file: string, reference?: string): Promise<OciArchiveTarget> {
    const tar = await TarWriter.create(file);
    await tar.bytes("oci-layout", OCI_LAYOUT);
    await tar.directory("blobs/");
    await tar.directory("blobs/sha256/");
    return new OciArchiveTarget(tar, reference);
  }

  blobHas(descriptor: Descriptor): Promise<boolean> {
    return Promise.resolve(this.#written.has(descriptor.digest));
  }

  async blobPut(descriptor: Descriptor, open: OpenBlob): Promise<void> {
    if (this.#written.has(descriptor.digest)) return;
    this.#written.add(descriptor.digest);
    await this.#tar.stream(`blobs/sha256/${parseDigest(descriptor.digest).hex}`, descriptor, open);
  }

  async manifestPut(descriptor: Descriptor, bytes: Buffer): Promise<void> {
    if (this.#written.has(descriptor.digest)) return;
    this.#written.add(descriptor.digest);
    await this.#tar.stream(`blobs/sha256/${parseDigest(descriptor.digest).hex}`, descriptor, () =>
      Promise.resolve(Readable.from([bytes])),
    );
  }

  tag(descriptor: Descriptor, ref?: string): Promise<void> {
    this.#index = withLayoutEntry(this.#index, descriptor, ref ?? this.reference);
    return Promise.resolve();
  }

  async commit(): Promise<void> {
    await this.#tar.bytes("index.json", layoutIndexBytes(this.#index));
    await this.#tar.commit();
  }

  async abort(): Promise<void> {
    await this.#tar.abort();
  }
}
