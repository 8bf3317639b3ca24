import { readFile, rmdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { AirlockError, messageOf } from "../errors.js";
import { OCI_LAYOUT_BYTES as OCI_LAYOUT } from "../oci/layout.js";
import type { Descriptor, Index } from "../oci/types.js";
import { writeFileAtomic } from "../stream/atomic-file.js";
import { BlobDir } from "./blob-dir.js";
import type { ImageStore, OpenBlob, StoreCallOptions, TargetCapabilities } from "./image-store.js";
import {
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

  /** Opens an existing layout for reading. @throws AirlockError ERR_FILE when DIR is not one. */
  static async open(root: string, reference?: string): Promise<OciDirStore> {
    const store = new OciDirStore(root, reference);
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
    let bytes: Buffer;
    try {
      bytes = await readFile(join(this.root, "index.json"));
    } catch (err) {
      if (!mustExist && (err as NodeJS.ErrnoException).code === "ENOENT") return emptyLayoutIndex();
      const what = (await stat(this.root).catch(() => undefined)) ? "is not an OCI layout" : "does not exist";
      throw new AirlockError("ERR_FILE", `${this.name}: ${this.root} ${what} (${messageOf(err)})`, {
        cause: err,
      });
    }
    return parseLayoutIndex(bytes, this.name);
  }
}
