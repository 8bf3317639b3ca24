import { stat } from "node:fs/promises";
import { Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { extract, type Header as Headers } from "tar-stream";
import { AirlockError, messageOf } from "../errors.js";
import { VerifyStream } from "../stream/verify-stream.js";
import type { HashPool } from "./hash-pool.js";
import { SkippingFileSource } from "../stream/skipping-source.js";

/** Small files of the layout read into memory (index.json, the lock) are capped at this size. */
const MAX_METADATA_BYTES = 64 * 1024 * 1024;
const METADATA = new Set(["oci-layout", "index.json", "airlock.lock"]);
const DIRECTORIES = new Set(["blobs/", "blobs/sha256/"]);
const BLOB_NAME = /^blobs\/sha256\/([a-f0-9]{64})$/;
const BLOCK = 512;

export interface BlobLocation {
  /** Byte offset of the blob's data in the tar. */
  offset: number;
  size: number;
}

export interface TarIndex {
  file: string;
  /** oci-layout, index.json and airlock.lock, when present. */
  metadata: Map<string, Buffer>;
  /** Every blob by digest, where its bytes are in the tar. */
  blobs: Map<string, BlobLocation>;
  /** With `verify`: each blob whose bytes do not match its name, as a message. */
  corrupt: string[];
}

export interface IndexOptions {
  /** Hash every blob against its name while reading (verify-bundle); otherwise bodies are skipped. */
  verify?: boolean;
  signal?: AbortSignal;
  /**
   * Bytes of the tar dealt with so far: headers as they are parsed, each
   * body once read (with `verify`, once hashed; without, once skipped).
   * Adds up to the file's size at the end.
   */
  onBytes?: (n: number) => void;
  /** With `verify`: hash blobs on these worker threads (by offset) while the tar is read. */
  hashPool?: HashPool;
}

/**
 * Reads a bundle tar once, from start to end, without extracting: checks
 * every entry's name and type (only the layout's own files and blobs; no
 * links, no `..`, no absolute paths, no duplicates), records where each
 * blob's bytes are, and keeps the small metadata files.
 */
export async function indexTar(file: string, options: IndexOptions = {}): Promise<TarIndex> {
  const fileSize = (
    await stat(file).catch((err: unknown) => {
      throw new AirlockError("ERR_FILE", `cannot read bundle ${file}: ${messageOf(err)}`, { cause: err });
    })
  ).size;
  const index: TarIndex = { file, metadata: new Map(), blobs: new Map(), corrupt: [] };
  const seen = new Set<string>();
  const pending: Promise<void>[] = [];
  /** Where the last entry's data (padded to a block) ends. */
  let end = 0;
  const source = new SkippingFileSource(file, fileSize);
  const tell = options.onBytes ?? ((): void => undefined);
  const ex = extract();
  ex.on("entry", (header, stream, next) => {
    const body = stream as unknown as Readable;
    // When an entry is refused, the extractor destroys its body with the same error,
    // which the pipeline below reports; unheard, it would crash the process.
    body.on("error", () => undefined);
    // The headers since the last entry's data, and this entry's padding to a block.
    tell(dataEnd(header) - end - (header.type === "directory" ? 0 : (header.size ?? 0)));
    onEntry({ index, seen, fileSize, source, pending, tell }, header, body, options).then(
      () => {
        end = dataEnd(header);
        next();
      },
      (err: unknown) => next(err instanceof Error ? err : new Error(String(err))),
    );
  });
  try {
    await pipeline(source, ex as unknown as NodeJS.WritableStream, { signal: options.signal });
  } catch (err) {
    throw asBundleError(file, err);
  } finally {
    await Promise.allSettled(pending.splice(0));
  }
  // A tar cut between two entries reads as a shorter tar; only the end-of-archive blocks tell.
  if (fileSize - end < 2 * BLOCK) {
    throw corrupt(file, "the tar ends early (truncated): no end-of-archive marker after its last entry");
  }
  tell(fileSize - end);
  return index;
}

/** The offset just past an entry's data, padded to whole blocks. */
function dataEnd(header: Headers): number {
  const offset = (header as Headers & { byteOffset?: number }).byteOffset ?? 0;
  const size = header.type === "directory" ? 0 : (header.size ?? 0);
  return offset + Math.ceil(size / BLOCK) * BLOCK;
}

/** What one indexing pass shares across entries. */
interface IndexState {
  index: TarIndex;
  seen: Set<string>;
  fileSize: number;
  source: SkippingFileSource;
  pending: Promise<void>[];
  /** Bytes of the tar dealt with (IndexOptions.onBytes). */
  tell: (n: number) => void;
}

async function onEntry(
  { index, seen, fileSize, source, pending, tell }: IndexState,
  header: Headers,
  stream: Readable,
  options: IndexOptions,
): Promise<void> {
  const name = checkName(index.file, header, seen);
  const size = header.size ?? 0;
  const offset = (header as Headers & { byteOffset?: number }).byteOffset ?? -1;
  if (offset < 0 || offset + size > fileSize) {
    throw corrupt(index.file, `entry ${name} claims ${size} bytes, past the end of the file (truncated?)`);
  }
  const blob = BLOB_NAME.exec(name);
  if (blob !== null) {
    const digest = `sha256:${blob[1] ?? ""}`;
    index.blobs.set(digest, { offset, size });
    // Only hashing on this thread needs the body; otherwise it is not even read from disk.
    if (options.verify !== true || options.hashPool !== undefined) source.skip(offset, offset + size);
    if (options.verify === true && options.hashPool !== undefined) {
      // Told as the pool hashes it.
      pending.push(checkInPool(index, options.hashPool, { digest, offset, size }, tell));
      return await drain(stream);
    }
    if (options.verify === true) await verifyEntry(index, stream, digest, size);
    else await drain(stream);
  } else if (METADATA.has(name)) {
    if (size > MAX_METADATA_BYTES)
      throw corrupt(index.file, `${name} is ${size} bytes, more than airlock reads`);
    index.metadata.set(name, await readAll(stream));
  } else {
    await drain(stream);
  }
  tell(size);
}

/** The entry's name if it is one a layout may hold; an error naming it otherwise. */
function checkName(file: string, header: Headers, seen: Set<string>): string {
  const raw = header.name;
  const name = raw.startsWith("./") ? raw.slice(2) : raw;
  if (name.startsWith("/") || name.split("/").includes("..") || name.includes("\\") || name.includes("\0")) {
    throw corrupt(file, `entry "${raw}" points outside the bundle`);
  }
  if (header.type !== "file" && header.type !== "directory") {
    throw corrupt(
      file,
      `entry "${raw}" is a ${header.type ?? "special file"}; a bundle holds only files and directories`,
    );
  }
  const isDir = header.type === "directory";
  const key = isDir && !name.endsWith("/") ? `${name}/` : name;
  if (seen.has(key)) throw corrupt(file, `entry "${raw}" appears twice`);
  seen.add(key);
  const allowed = isDir ? DIRECTORIES.has(key) : METADATA.has(name) || BLOB_NAME.test(name);
  if (!allowed) throw corrupt(file, `unexpected entry "${raw}": not part of an OCI layout with sha256 blobs`);
  return key;
}

/** Hashes one blob on a worker thread by its offset; a mismatch is recorded like verifyEntry's. */
async function checkInPool(
  index: TarIndex,
  pool: HashPool,
  { digest, offset, size }: { digest: string; offset: number; size: number },
  tell: (n: number) => void,
): Promise<void> {
  let hex: string;
  let told = 0;
  try {
    hex = await pool.hash(index.file, offset, size, (n) => {
      told += n;
      tell(n);
    });
  } catch (err) {
    index.corrupt.push(`blob ${digest}: cannot be read: ${messageOf(err)}`);
    return;
  } finally {
    tell(size - told);
  }
  if (`sha256:${hex}` !== digest) {
    index.corrupt.push(`blob ${digest}: content has digest sha256:${hex}, expected ${digest}`);
  }
}

/** Hashes one blob entry; a mismatch is recorded (and the rest of the tar still read), not thrown. */
async function verifyEntry(index: TarIndex, stream: Readable, digest: string, size: number): Promise<void> {
  const verifier = new VerifyStream({ digest, size, what: `blob ${digest}` });
  try {
    await drain(stream, verifier);
  } catch (err) {
    if (
      !(err instanceof AirlockError) ||
      (err.code !== "ERR_DIGEST_MISMATCH" && err.code !== "ERR_SIZE_MISMATCH")
    ) {
      throw err;
    }
    // A mismatch is only known at the entry's end, so the tar can be read on.
    index.corrupt.push(err.message);
  }
}

async function drain(stream: Readable, through?: VerifyStream): Promise<void> {
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  if (through) await pipeline(stream, through, sink);
  else await pipeline(stream, sink);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function corrupt(file: string, what: string): AirlockError {
  return new AirlockError("ERR_BUNDLE_CORRUPT", `bundle ${file}: ${what}`);
}

function asBundleError(file: string, err: unknown): AirlockError {
  if (err instanceof AirlockError) return err;
  const text = messageOf(err);
  if (/unexpected end|truncated/i.test(text)) return corrupt(file, "the tar ends early (truncated)");
  if ((err as { name?: string }).name === "AbortError")
    return new AirlockError("ERR_ABORTED", "interrupted", { cause: err });
  return corrupt(file, `not a readable tar: ${text}`);
}
