/**
 * A bundle as one uncompressed tar: an OCI layout whose every byte's place
 * follows from the lock. `files` first (oci-layout, index.json, the lock),
 * the `blobs/` and `blobs/sha256/` directories, then `blobs/sha256/<hex>`
 * for each blob in the given order. A thin layer over the one tar writer.
 */
import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { isAirlockError } from "../errors.js";
import { parseDigest } from "../oci/digest.js";
import { TarLayout, type TarEntrySpec, type TarSlot } from "../store/tar-layout.js";
import { TarJournal, layoutId } from "./tar-journal.js";
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
  /**
   * Keep a journal beside the partial tar (tar-journal.ts): a failed or
   * interrupted run leaves the partial and its journal, and the next run
   * with the same layout keeps the blobs it names, each hashed first, and
   * tells them to `onKept` instead of writing them again.
   */
  resumable?: boolean;
  onKept?: (blob: TarBlob) => void;
  /**
   * The sha256 an earlier tar of the same content (`bundleTarId`) had: every
   * byte of this one is then the same (headers and files equal, each blob
   * checked against its digest as it is written), so it is not hashed again.
   */
  knownSha256?: string;
}

/** The written tar, and where each blob's data sits in it. */
export interface WrittenLayoutTar extends Required<WrittenTar> {
  blobs: { digest: string; offset: number; size: number }[];
}

const DIRECTORIES = ["blobs/", "blobs/sha256/"];
const BLOB_PREFIX = "blobs/sha256/";

/**
 * Blobs from local files smaller than this are streamed on the main thread: a manifest or config
 * is not worth a worker thread (~9 MiB each) when the layers come from the network anyway.
 */
const WORKER_COPY_MIN = 1024 * 1024;

/** Where a blob goes in a bundle tar. */
export function blobEntryName(digest: string): string {
  return `${BLOB_PREFIX}${parseDigest(digest).hex}`;
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
 * Names a bundle tar's content before it is written: its layout (every
 * entry's name, size and offset) and its files' bytes. Two tars with the
 * same id whose blobs match their digests are the same bytes.
 */
export function bundleTarId(files: readonly TarFile[], blobs: readonly TarBlob[]): string {
  const layout = bundleTarLayout(
    files.map((f) => ({ name: f.name, size: f.bytes.length })),
    blobs,
  );
  const hash = createHash("sha256").update(layoutId(layout));
  for (const f of files) hash.update(createHash("sha256").update(f.bytes).digest("hex"));
  return hash.digest("hex");
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
): Promise<WrittenLayoutTar> {
  const layout = bundleTarLayout(
    files.map((f) => ({ name: f.name, size: f.bytes.length })),
    blobs,
  );
  const slot = (name: string): TarSlot => layout.slot(name) as TarSlot;
  const partial = `${file}.partial`;
  const workers = options.workers ?? new RangeWorkers();
  try {
    const resume = options.resumable === true ? await resumeFrom(partial, layout, workers) : undefined;
    const kept = new Set(resume?.keep ?? []);
    const tar = await TarWriter.create(file, {
      ...options,
      layout,
      partial,
      sync: true,
      hash: options.knownSha256 === undefined,
      rangeHash: (f) => workers.rangeHash(f),
      ...(resume ? { keep: resume.keep, keepOnAbort: true } : {}),
    });
    const isKept = (b: TarBlob): boolean => kept.has(slot(blobEntryName(b.digest)));
    for (const blob of blobs.filter(isKept)) options.onKept?.(blob);
    const todo = blobs.filter((b) => !isKept(b));
    // In tar order, the tar's complete prefix (and its hash) grows steadily; with nothing to hash,
    // largest first leaves no large copy alone at the end.
    if (options.knownSha256 !== undefined) todo.sort((a, b) => b.size - a.size);
    try {
      for (const f of files) await tar.write(slot(f.name), f.bytes);
      for (const dir of DIRECTORIES) await tar.write(slot(dir), Buffer.alloc(0));
      await writeBlobs(tar, todo, source, { ...options, workers, journal: resume?.journal });
    } catch (err) {
      await tar.abort();
      if (resume !== undefined) await leavePartial(partial, resume);
      throw err;
    }
    const written = await tar.commit().catch(async (err: unknown) => {
      await resume?.journal.close();
      throw err;
    });
    await resume?.journal.remove();
    const placed = blobs.map((b) => ({ ...b, offset: slot(blobEntryName(b.digest)).dataOffset }));
    return { ...written, sha256: options.knownSha256 ?? written.sha256 ?? "", blobs: placed };
  } finally {
    if (options.workers === undefined) await workers.close();
  }
}

/** Every blob into its slot, `concurrency` at once, each noted in the journal once written. */
async function writeBlobs(
  tar: TarWriter,
  blobs: readonly TarBlob[],
  source: BlobReader,
  options: WriteTarOptions & { workers: RangeWorkers; journal: TarJournal | undefined },
): Promise<void> {
  const results = await mapSettled(blobs, options.concurrency ?? 1, async (blob) => {
    const at = tar.layout.slot(blobEntryName(blob.digest)) as TarSlot;
    await writeBlob(tar, at, blob, source, options.workers, options.signal);
    await options.journal?.record(at.name);
  });
  const failed = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  if (failed.length > 0) {
    throw failed.find((e) => isAirlockError(e) && e.code !== "ERR_ABORTED") ?? failed[0];
  }
}

/** After a failure: the partial tar and its journal stay for a re-run, unless they hold no blob. */
async function leavePartial(
  partial: string,
  resume: { journal: TarJournal; keep: TarSlot[] },
): Promise<void> {
  if (resume.keep.length > 0 || resume.journal.recorded > 0) {
    await resume.journal.close();
    return;
  }
  await resume.journal.remove();
  await rm(partial, { force: true });
}

/**
 * The journal of `partial`, and the blob entries it names whose data still
 * hashes to their digest (an entry that does not is written again).
 */
async function resumeFrom(
  partial: string,
  layout: TarLayout,
  workers: RangeWorkers,
): Promise<{ journal: TarJournal; keep: TarSlot[] }> {
  const { journal, done } = await TarJournal.open(partial, layout);
  const slots = done.flatMap((name) => {
    const slot = layout.slot(name);
    return slot !== undefined && name.startsWith(BLOB_PREFIX) ? [slot] : [];
  });
  const checked = await mapSettled(slots, 2, async (slot) => {
    const hex = await workers.hash(partial, slot.dataOffset, slot.size);
    return hex === slot.name.slice(BLOB_PREFIX.length) ? slot : undefined;
  });
  const keep = checked.flatMap((r) => (r.status === "fulfilled" && r.value !== undefined ? [r.value] : []));
  return { journal, keep };
}

/**
 * One blob into its slot: copied from the source's local file (or range) on
 * a worker, else streamed through `blobInto` or `fetch`. A copy whose source
 * fails its check (changed since) is downloaded instead when the source can.
 */
async function writeBlob(
  tar: TarWriter,
  slot: TarSlot,
  blob: TarBlob,
  source: BlobReader,
  workers: RangeWorkers,
  signal: AbortSignal | undefined,
): Promise<void> {
  const from = blob.size < WORKER_COPY_MIN ? undefined : await source.blobRange?.(blob);
  const into = source.blobInto?.bind(source);
  if (from === undefined) {
    if (into === undefined) await tar.write(slot, await source.fetch(blob, { signal }));
    else await tar.fill(slot, (to) => into(blob, to.write, { signal }));
    return;
  }
  const what = `blob ${blob.digest} in ${from.file}`;
  await tar.fill(slot, async (to, onBytes) => {
    try {
      await workers.copy({ from, ...blob, to: to.file, toOffset: to.offset, what }, onBytes);
    } catch (err) {
      if (!isStaleCopy(err) || into === undefined || source.forget?.(blob) !== true) throw err;
      await into(blob, to.write, { signal });
    }
  });
}

function isStaleCopy(err: unknown): boolean {
  return (
    isAirlockError(err) &&
    (err.code === "ERR_DIGEST_MISMATCH" || err.code === "ERR_SIZE_MISMATCH" || err.code === "ERR_NOT_FOUND")
  );
}
