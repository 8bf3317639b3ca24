/**
 * create-bundle's blob cache: blobs in files of their own (a BlobDir: the
 * manifests and configs `lock` fetched, small blobs), and the large blobs
 * of the bundles it completed, by reference into those bundles (see
 * bundle-refs.ts), so that a blob crosses the disk once per bundle instead
 * of once more into the cache.
 */
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { AirlockError, messageOf } from "../errors.js";
import type { Descriptor } from "../oci/types.js";
import type { FileRange } from "../stream/range-workers.js";
import { VerifyStream } from "../stream/verify-stream.js";
import { BlobDir } from "./blob-dir.js";
import { readBundleRecords, recordBundle, type BundleRecord } from "./bundle-refs.js";

type Located = FileRange & { size: number };

export class BlobCache {
  readonly files: BlobDir;
  #bundled: Promise<Map<string, Located>> | undefined;

  constructor(root: string) {
    this.files = new BlobDir(root);
  }

  get root(): string {
    return this.files.root;
  }

  /** Where the cache holds the blob: its own file, else a recorded bundle; undefined when it does not. */
  async locate(descriptor: Pick<Descriptor, "digest" | "size">): Promise<FileRange | undefined> {
    const own = await this.files.blobRange(descriptor);
    if (own !== undefined) return own;
    const at = (await this.#inBundles()).get(descriptor.digest);
    return at !== undefined && at.size === descriptor.size
      ? { file: at.file, offset: at.offset, whole: at.whole }
      : undefined;
  }

  /** The blob's bytes from where `locate` finds it; the stream fails unless size and sha256 match. */
  async fetch(descriptor: Pick<Descriptor, "digest" | "size">): Promise<Readable> {
    const at = await this.locate(descriptor);
    if (at === undefined || at.whole) return await this.files.fetch(descriptor);
    const what = `blob ${descriptor.digest} in ${at.file}`;
    // Bundles are recorded with their non-empty blobs only (createReadStream's `end` is inclusive).
    const source = createReadStream(at.file, { start: at.offset, end: at.offset + descriptor.size - 1 });
    const verify = new VerifyStream({ ...descriptor, what });
    source.once("error", (err) =>
      verify.destroy(new AirlockError("ERR_NOT_FOUND", `${what}: ${messageOf(err)}`, { cause: err })),
    );
    source.pipe(verify);
    return verify;
  }

  /** The sha256 of a recorded bundle (still as it was) whose content had this id. */
  async sha256Of(contentId: string): Promise<string | undefined> {
    const records = await readBundleRecords(this.root);
    return records.find((r) => r.contentId === contentId)?.sha256;
  }

  /** Records a completed bundle: its blobs count as cached from now on. */
  async recordBundle(bundle: BundleRecord): Promise<void> {
    await recordBundle(this.root, bundle);
    this.#bundled = undefined;
  }

  #inBundles(): Promise<Map<string, Located>> {
    this.#bundled ??= readBundleRecords(this.root).then((records) => {
      const map = new Map<string, Located>();
      for (const r of records) {
        for (const b of r.blobs) {
          if (!map.has(b.digest))
            map.set(b.digest, { file: r.file, offset: b.offset, size: b.size, whole: false });
        }
      }
      return map;
    });
    return this.#bundled;
  }
}
