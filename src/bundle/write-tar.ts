import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pack as createPack, type Pack } from "tar-stream";
import { abortedError } from "../errors.js";
import { parseDigest } from "../oci/digest.js";
import type { BlobReader } from "../store/types.js";

/** Fixed metadata for every entry, so the same content gives the same bytes. */
const MTIME = new Date(0);
const FILE_MODE = 0o644;
const DIR_MODE = 0o755;

export interface TarFile {
  name: string;
  bytes: Buffer;
}

export interface TarBlob {
  digest: string;
  size: number;
}

export interface WrittenTar {
  file: string;
  size: number;
  /** sha256 of the whole archive, hex. */
  sha256: string;
}

export interface WriteTarOptions {
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
}

/**
 * Writes an OCI layout as one uncompressed tar: `files` first (oci-layout,
 * index.json, the lock), then `blobs/sha256/<hex>` for each blob in the
 * given order, streamed from `source` and verified on the way. The archive
 * is written as `<file>.partial`, synced, and renamed only when complete.
 */
export async function writeLayoutTar(
  file: string,
  files: readonly TarFile[],
  blobs: readonly TarBlob[],
  source: BlobReader,
  options: WriteTarOptions = {},
): Promise<WrittenTar> {
  const partial = `${file}.partial`;
  const pack = createPack();
  const hash = createHash("sha256");
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      hash.update(chunk);
      size += chunk.length;
      options.onBytes?.(chunk.length);
      callback(null, chunk);
    },
  });
  const out = createWriteStream(partial, { highWaterMark: 256 * 1024 });
  const writing = pipeline(pack, tap, out, { signal: options.signal });
  try {
    await fillPack(pack, files, blobs, source, options.signal);
    await writing;
    await syncFile(partial);
    await rename(partial, file);
  } catch (err) {
    pack.destroy();
    await writing.catch(() => undefined);
    await rm(partial, { force: true });
    // Aborted, the pipeline tears the pack down under the entry being added: report the abort.
    if (options.signal?.aborted === true) throw abortedError(options.signal.reason);
    throw err;
  }
  return { file, size, sha256: hash.digest("hex") };
}

async function fillPack(
  pack: Pack,
  files: readonly TarFile[],
  blobs: readonly TarBlob[],
  source: BlobReader,
  signal?: AbortSignal,
): Promise<void> {
  for (const f of files) await addBuffer(pack, f.name, f.bytes);
  await addDirectory(pack, "blobs/");
  await addDirectory(pack, "blobs/sha256/");
  for (const blob of blobs) {
    const name = `blobs/sha256/${parseDigest(blob.digest).hex}`;
    await addStream(pack, name, blob.size, await source.fetch(blob, { signal }), signal);
  }
  pack.finalize();
}

function header(name: string, size: number, type: "file" | "directory"): Parameters<Pack["entry"]>[0] {
  return {
    name,
    size,
    type,
    mode: type === "file" ? FILE_MODE : DIR_MODE,
    mtime: MTIME,
    uid: 0,
    gid: 0,
    uname: "",
    gname: "",
  };
}

function addBuffer(pack: Pack, name: string, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header(name, bytes.length, "file"), bytes, (err) => (err ? reject(err) : resolve()));
  });
}

function addDirectory(pack: Pack, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header(name, 0, "directory"), (err) => (err ? reject(err) : resolve()));
  });
}

async function addStream(
  pack: Pack,
  name: string,
  size: number,
  content: Readable,
  signal?: AbortSignal,
): Promise<void> {
  const entry = pack.entry(header(name, size, "file"));
  await pipeline(content, entry, { signal });
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
