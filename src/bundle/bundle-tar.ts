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
import { RangeWorkers } from "../stream/range-workers.js";
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
  /** Blobs streamed into their places at once (default 1, in order). */
  concurrency?: number;
  /** Workers for the copies from local files and the tar's sha256 (default: a pool of this call's). */
  workers?: RangeWorkers;
}

const DIRECTORIES = ["blobs/", "blobs/sha256/"];

/**
 * Blobs from local files smaller than this are streamed on the main thread: a manifest or config
 * is not worth a worker thread (~9 MiB each) when the layers come from the network anyway.
 */
const WORKER_COPY_MIN = 1024 * 1024;

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
 * Writes the bundle tar, each blob straight to its place, `concurrency` at a
 * time: streamed from `source` (which verifies it), or, when the source has
 * it in a local file, copied by a worker thread that checks its size and
 * sha256 as it reads. The tar's own sha256 is computed on a worker as its
 * complete prefix grows. The archive is built as `<file>.partial`, synced,
 * and renamed only when complete; the same files and blobs give the same bytes.
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
  const workers = options.workers ?? new RangeWorkers();
  try {
    const tar = await TarWriter.create(file, {
      ...options,
      layout,
      partial: `${file}.partial`,
      sync: true,
      hash: true,
      rangeHash: (f) => workers.rangeHash(f),
    });
    const slot = (name: string): TarSlot => layout.slot(name) as TarSlot;
    try {
      for (const f of files) await tar.write(slot(f.name), f.bytes);
      for (const dir of DIRECTORIES) await tar.write(slot(dir), Buffer.alloc(0));
      const results = await mapSettled(blobs, options.concurrency ?? 1, async (blob) => {
        await writeBlob(tar, slot(blobEntryName(blob.digest)), blob, source, workers, options.signal);
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
  } finally {
    if (options.workers === undefined) await workers.close();
  }
}

/** One blob into its slot: copied from the source's file on a worker, else streamed through `fetch`. */
async function writeBlob(
  tar: TarWriter,
  slot: TarSlot,
  blob: TarBlob,
  source: BlobReader,
  workers: RangeWorkers,
  signal: AbortSignal | undefined,
): Promise<void> {
  const from = blob.size < WORKER_COPY_MIN ? undefined : await source.blobFile?.(blob);
  if (from === undefined) {
    const into = source.blobInto?.bind(source);
    if (into === undefined) await tar.write(slot, await source.fetch(blob, { signal }));
    else await tar.fill(slot, (to) => into(blob, to.write, { signal }));
    return;
  }
  const what = `blob ${blob.digest} in ${from}`;
  await tar.fill(slot, (to, onBytes) =>
    workers.copy({ from, ...blob, to: to.file, toOffset: to.offset, what }, onBytes),
  );
}
