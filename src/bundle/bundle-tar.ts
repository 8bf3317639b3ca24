/**
 * A bundle as one uncompressed tar: an OCI layout whose every byte's place
 * follows from the lock. `files` first (oci-layout, index.json, the lock),
 * the `blobs/` and `blobs/sha256/` directories, then `blobs/sha256/<hex>`
 * for each blob in the given order. A thin layer over the one tar writer.
 */
import { isAirlockError } from "../errors.js";
import { parseDigest } from "../oci/digest.js";
import { TarLayout, type TarEntrySpec, type TarSlot } from "../store/tar-layout.js";
import { TarWriter, type WrittenTar } from "../store/tar-writer.js";
import type { BlobReader } from "../store/types.js";
import { mapSettled } from "../util/pool.js";

export interface TarFile {
  name: string;
  bytes: Buffer;
}

export interface TarBlob {
  digest: string;
  size: number;
}

export interface WriteTarOptions {
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
  /** Blobs streamed into their places at once (default 1: in order, hashed as written). */
  concurrency?: number;
}

const DIRECTORIES = ["blobs/", "blobs/sha256/"];

/** Where a blob goes in a bundle tar. */
export function blobEntryName(digest: string): string {
  return `blobs/sha256/${parseDigest(digest).hex}`;
}

/**
 * Every entry of the bundle tar at its offset, from the files' and blobs'
 * sizes alone: what `writeLayoutTar` writes, before a byte is written.
 */
export function bundleTarLayout(
  files: readonly { name: string; size: number }[],
  blobs: readonly TarBlob[],
): TarLayout {
  const entries: TarEntrySpec[] = [
    ...files.map((f) => ({ name: f.name, size: f.size })),
    ...DIRECTORIES.map((name) => ({ name, size: 0, type: "directory" as const })),
    ...blobs.map((b) => ({ name: blobEntryName(b.digest), size: b.size })),
  ];
  return TarLayout.of(entries);
}

/**
 * Writes the bundle tar, each blob streamed from `source` (which verifies
 * it) straight to its place, `concurrency` at a time. The archive is built as `<file>.partial`, synced, and renamed only
 * when complete; the same files and blobs give the same bytes.
 */
export async function writeLayoutTar(
  file: string,
  files: readonly TarFile[],
  blobs: readonly TarBlob[],
  source: BlobReader,
  options: WriteTarOptions = {},
): Promise<Required<WrittenTar>> {
  const layout = bundleTarLayout(
    files.map((f) => ({ name: f.name, size: f.bytes.length })),
    blobs,
  );
  const tar = await TarWriter.create(file, {
    ...options,
    layout,
    partial: `${file}.partial`,
    sync: true,
    hash: true,
  });
  const slot = (name: string): TarSlot => layout.slot(name) as TarSlot;
  try {
    for (const f of files) await tar.write(slot(f.name), f.bytes);
    for (const dir of DIRECTORIES) await tar.write(slot(dir), Buffer.alloc(0));
    const results = await mapSettled(blobs, options.concurrency ?? 1, async (blob) => {
      await tar.write(slot(blobEntryName(blob.digest)), await source.fetch(blob, { signal: options.signal }));
    });
    const failed = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    if (failed.length > 0)
      throw failed.find((e) => isAirlockError(e) && e.code !== "ERR_ABORTED") ?? failed[0];
  } catch (err) {
    await tar.abort();
    throw err;
  }
  const written = await tar.commit();
  return { ...written, sha256: written.sha256 ?? "" };
}
