/**
 * create-bundle's blob cache: blobs in files of their own (a BlobDir: the
 * manifests and configs `lock` fetched, small blobs), and the large blobs
 * of the bundles it completed, by reference into those bundles (see
 * bundle-refs.ts), so that a blob crosses the disk once per bundle instead
 * of once more into the cache.
 *
 * What it holds is looked up once and remembered until it records another
 * bundle: the records are read once, and each blob's place is found once
 * however many steps of a run ask (the space check, then the fetcher).
 */
import type { Readable } from "node:stream";
import type { Descriptor } from "../oci/types.js";
import type { FileRange } from "../stream/range-workers.js";
import { VerifiedFileRange } from "../stream/verified-file-range.js";
import { BlobDir } from "./blob-dir.js";
import { forgetBundle, readBundleRecords, recordBundle, type BundleRecord } from "./bundle-refs.js";

type Located = FileRange & { size: number };

interface Known {
  records: BundleRecord[];
  /** The first recorded place of each digest. */
  bundled: Map<string, Located>;
}

export class BlobCache {
  readonly files: BlobDir;
  #known: Promise<Known> | undefined;
  readonly #located = new Map<string, Promise<FileRange | undefined>>();

  constructor(root: string) {
    this.files = new BlobDir(root);
  }

  get root(): string {
    return this.files.root;
  }

  /** Where the cache holds the blob: its own file, else a recorded bundle; undefined when it does not. */
  locate(descriptor: Pick<Descriptor, "digest" | "size">): Promise<FileRange | undefined> {
    const key = `${descriptor.digest} ${descriptor.size}`;
    let at = this.#located.get(key);
    if (at === undefined) {
      at = this.#find(descriptor);
      this.#located.set(key, at);
    }
    return at;
  }

  /** The blob's bytes from where `locate` finds it; the stream fails unless size and sha256 match. */
  async fetch(descriptor: Pick<Descriptor, "digest" | "size">): Promise<Readable> {
    const at = await this.locate(descriptor);
    if (at === undefined || at.whole) return await this.files.fetch(descriptor);
    return new VerifiedFileRange(at.file, at.offset, {
      ...descriptor,
      what: `blob ${descriptor.digest} in ${at.file}`,
    });
  }

  /** The sha256 of a recorded bundle (still as it was) whose content had this id. */
  async sha256Of(contentId: string): Promise<string | undefined> {
    return (await this.#read()).records.find((r) => r.contentId === contentId)?.sha256;
  }

  /** Records a completed bundle: its blobs count as cached from now on. */
  async recordBundle(bundle: BundleRecord): Promise<void> {
    await recordBundle(this.root, bundle);
    this.#known = undefined;
    this.#located.clear();
  }

  /**
   * Forgets a recorded bundle whose bytes failed a check (changed in place
   * with its size and times kept): later runs no longer copy from it.
   */
  async forgetBundle(file: string): Promise<void> {
    await forgetBundle(this.root, file);
    this.#known = undefined;
    this.#located.clear();
  }

  async #find(descriptor: Pick<Descriptor, "digest" | "size">): Promise<FileRange | undefined> {
    const own = await this.files.blobRange(descriptor);
    if (own !== undefined) return own;
    const at = (await this.#read()).bundled.get(descriptor.digest);
    return at !== undefined && at.size === descriptor.size
      ? { file: at.file, offset: at.offset, whole: at.whole }
      : undefined;
  }

  #read(): Promise<Known> {
    this.#known ??= readBundleRecords(this.root).then((records) => {
      const bundled = new Map<string, Located>();
      for (const r of records) {
        for (const b of r.blobs) {
          if (!bundled.has(b.digest))
            bundled.set(b.digest, { file: r.file, offset: b.offset, size: b.size, whole: false });
        }
      }
      return { records, bundled };
    });
    return this.#known;
  }
}
