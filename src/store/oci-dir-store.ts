import { lstat, readFile, rmdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { AirlockError, messageOf } from "../errors.js";
import { OCI_LAYOUT_BYTES as OCI_LAYOUT } from "../oci/layout.js";
import type { Descriptor, Index } from "../oci/types.js";
import { writeFileAtomic } from "../stream/atomic-file.js";
import { BlobDir } from "./blob-dir.js";
import type {
  BlobExtent,
  ImageStore,
  OpenBlob,
  StoreCallOptions,
  TargetCapabilities,
} from "./image-store.js";
import {
  MAX_LAYOUT_INDEX_BYTES,
  emptyLayoutIndex,
  findInLayout,
  layoutIndexBytes,
  layoutNames,
  parseLayoutIndex,
  withLayoutEntry,
} from "./layout-index.js";
import { checkSmall, readAllCapped } from "./read-all.js";

/**
 * An OCI image layout directory (`oci:DIR[:REF]`). Blobs and manifests are
 * written verified under a temporary name and renamed; index.json is
 * rewritten atomically on `commit`, so a failed copy leaves whole blobs and
 * no new name.
 */
export class OciDirStore implements ImageStore {
  readonly root: string;
  readonly reference: string | undefined;
  readonly capabilities: TargetCapabilities = { keepsManifests: true, holdsIndexes: true };
  readonly #blobs: BlobDir;
  readonly #names: { descriptor: Descriptor; ref: string | undefined }[] = [];

  constructor(root: string, reference?: string) {
    this.root = root;
    this.reference = reference;
    this.#blobs = new BlobDir(root);
  }

  get name(): string {
    return `oci:${this.root}`;
  }

  /**
   * Opens an existing layout for reading.
   * @throws AirlockError ERR_FILE when DIR is not one (no oci-layout or
   * index.json), ERR_TOO_LARGE, ERR_MANIFEST_INVALID (index.json is not an index).
   */
  static async open(root: string, reference?: string): Promise<OciDirStore> {
    const store = new OciDirStore(root, reference);
    await readFile(join(root, "oci-layout")).catch((err: unknown) => {
      throw new AirlockError(
        "ERR_FILE",
        `${store.name}: ${root} is not an OCI image layout (no readable oci-layout file): ${messageOf(err)}`,
        { cause: err },
      );
    });
    await store.#readIndex(true);
    return store;
  }

  async resolve(ref?: string): Promise<Descriptor> {
    return findInLayout(await this.#readIndex(true), ref ?? this.reference, this.name);
  }

  async manifestGet(descriptor: Descriptor): Promise<Buffer> {
    checkSmall(descriptor.size, `manifest ${descriptor.digest}`);
    return await readAllCapped(await this.blobGet(descriptor), `manifest ${descriptor.digest}`);
  }

  async blobGet(descriptor: Pick<Descriptor, "digest" | "size">): Promise<Readable> {
    return await this.#blobs.fetch(descriptor);
  }

  async tagList(): Promise<string[]> {
    return layoutNames(await this.#readIndex(true));
  }

  async layoutIndex(): Promise<Index> {
    return await this.#readIndex(true);
  }

  /** The blob's file, if it is a regular file in the layout (a symbolic link is not followed out of it). */
  async blobLocate(digest: string): Promise<BlobExtent | undefined> {
    let file: string;
    try {
      file = this.#blobs.path(digest);
    } catch {
      return undefined;
    }
    const info = await lstat(file).catch(() => undefined);
    return info?.isFile() === true ? { file, offset: 0, size: info.size } : undefined;
  }

  async blobHas(descriptor: Descriptor): Promise<boolean> {
    return await this.#blobs.has(descriptor);
  }

  async blobPut(descriptor: Descriptor, open: OpenBlob, options: StoreCallOptions = {}): Promise<void> {
    await this.#blobs.put(descriptor, await open(), options);
  }

  async manifestPut(descriptor: Descriptor, bytes: Buffer, options: StoreCallOptions = {}): Promise<void> {
    if (await this.blobHas(descriptor)) return;
    await this.#blobs.put(descriptor, Readable.from([bytes]), options);
  }

  tag(descriptor: Descriptor, ref?: string): Promise<void> {
    this.#names.push({ descriptor, ref: ref ?? this.reference });
    return Promise.resolve();
  }

  async commit(): Promise<void> {
    let index = await this.#readIndex(false);
    for (const { descriptor, ref } of this.#names.splice(0)) index = withLayoutEntry(index, descriptor, ref);
    await writeFileAtomic(join(this.root, "oci-layout"), OCI_LAYOUT);
    await writeFileAtomic(join(this.root, "index.json"), layoutIndexBytes(index));
    await rmdir(join(this.root, "tmp")).catch(() => undefined);
  }

  async abort(): Promise<void> {
    this.#names.length = 0;
    await rmdir(join(this.root, "tmp")).catch(() => undefined);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  async #readIndex(mustExist: boolean): Promise<Index> {
    const file = join(this.root, "index.json");
    let bytes: Buffer;
    try {
      const size = (await stat(file)).size;
      if (size > MAX_LAYOUT_INDEX_BYTES) {
        throw new AirlockError(
          "ERR_TOO_LARGE",
          `${this.name}: index.json is ${size} bytes, more than airlock reads`,
        );
      }
      bytes = await readFile(file);
    } catch (err) {
      if (err instanceof AirlockError) throw err;
      if (!mustExist && (err as NodeJS.ErrnoException).code === "ENOENT") return emptyLayoutIndex();
      const what = (await stat(this.root).catch(() => undefined)) ? "is not an OCI layout" : "does not exist";
      throw new AirlockError("ERR_FILE", `${this.name}: ${this.root} ${what} (${messageOf(err)})`, {
        cause: err,
      });
    }
    return parseLayoutIndex(bytes, this.name);
  }
}
