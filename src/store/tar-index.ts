/**
 * The one tar indexer. Reads a tar once, from start to end, without
 * extracting: where each regular file's bytes are (so they can later be
 * streamed straight out of the tar by offset), the small files asked for in
 * memory, links resolved to what they point at, and optionally every file's
 * sha256. Bodies nobody reads on the pass are skipped, not read from disk.
 * Stricter readers (the bundle's) layer their checks on top through `check`.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { posix } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { extract, type Header as Headers } from "tar-stream";
import { AirlockError, messageOf, type ErrorCode, fileErrorReason } from "../errors.js";
import { SkippingFileSource } from "../stream/skipping-source.js";
import { VerifiedFileRange } from "../stream/verified-file-range.js";
import { TAR_BLOCK } from "./tar-layout.js";

const MAX_METADATA = 16 * 1024 * 1024;

/** sha256 of a byte range of a file, elsewhere (worker threads): hex. */
export interface OffsetHasher {
  /** `onBytes` is told as the bytes are hashed. */
  hash(file: string, offset: number, size: number, onBytes?: (n: number) => void): Promise<string>;
}

/** An entry as the tar's header gives it, shown to `check` before its body is read. */
export interface TarEntry {
  /** The name as stored. */
  raw: string;
  /** Normalised (see entryName). */
  name: string;
  /** "file", "directory", "symlink", "link", …; null for a type tar-stream does not know. */
  type: Headers["type"] | null;
  size: number;
  /** Where its data starts in the tar. */
  offset: number;
  linkname?: string;
}

/** One regular file in the archive. */
export interface TarFile {
  offset: number;
  size: number;
  /** With `hash`: "sha256:…" of the bytes, and their first bytes (to tell compression). */
  digest?: string;
  head?: Buffer;
  /** With `hash`: why the bytes could not be hashed, if they could not. */
  hashError?: string;
}

export interface TarFileIndex {
  file: string;
  /** The tar file's size. */
  size: number;
  /** Just past the last entry's data padded to blocks: the end-of-archive marker should follow. */
  end: number;
  /** Every regular file (and link to one) by normalised name. */
  files: Map<string, TarFile>;
  /** Files `keep` asked for, whole. */
  metadata: Map<string, Buffer>;
}

export interface TarIndexOptions {
  /** Names (normalised: no "./") to read into memory. */
  keep?: (name: string) => boolean;
  /** Largest file `keep` may read (default 16 MiB; ERR_TOO_LARGE beyond). */
  maxKeep?: number;
  /** sha256 every regular file: on this thread as the tar is read, or by offset on a hasher's threads. */
  hash?: boolean | OffsetHasher;
  /** Sees each entry before its body is read; throws to refuse the tar. */
  check?: (entry: TarEntry) => void;
  /** The code for a tar that cannot be read or is cut short (default ERR_FILE). */
  invalid?: ErrorCode;
  signal?: AbortSignal;
  /**
   * Bytes of the tar dealt with so far: headers as they are parsed, each
   * body once read (hashed, when a hasher hashes it, as it goes; skipped
   * ones at once). Adds up to the file's size at the end.
   */
  onBytes?: (n: number) => void;
}

/** Normalises an entry name: no leading "./" or "/", no trailing "/". */
export function entryName(raw: string): string {
  const name = posix.normalize(raw.replace(/^\.?\/+/, "")).replace(/\/+$/, "");
  return name === "." ? "" : name;
}

/**
 * Indexes `file` (`kind` names it in messages: "bundle", "oci-archive").
 * @throws AirlockError ERR_FILE (unreadable), `invalid` (not a tar, truncated,
 * an entry past the end), ERR_TOO_LARGE (a kept file), ERR_ABORTED, or what `check` throws.
 */
export async function indexTarFile(
  file: string,
  kind: string,
  options: TarIndexOptions = {},
): Promise<TarFileIndex> {
  const size = (
    await stat(file).catch((err: unknown) => {
      throw new AirlockError("ERR_FILE", `cannot read ${kind} ${file}: ${fileErrorReason(err)}`, {
        cause: err,
      });
    })
  ).size;
  const invalid = (what: string, cause?: unknown): AirlockError =>
    new AirlockError(
      options.invalid ?? "ERR_FILE",
      `${kind} ${file}: ${what}`,
      cause === undefined ? {} : { cause },
    );
  const index: TarFileIndex = { file, size, end: 0, files: new Map(), metadata: new Map() };
  const state: IndexState = {
    index,
    links: new Map(),
    source: new SkippingFileSource(file, size),
    pending: [],
    invalid,
    tell: options.onBytes ?? ((): void => undefined),
  };
  const ex = extract();
  ex.on("entry", (header, stream, next) => {
    const body = stream as unknown as Readable;
    // When an entry is refused, the extractor destroys its body with the same error,
    // which the pipeline below reports; unheard, it would crash the process.
    body.on("error", () => undefined);
    // The headers since the last entry's data, and this entry's padding to a block.
    const entry = entryOf(header);
    if (entry.offset >= 0) state.tell(dataEnd(entry) - index.end - entry.size);
    onEntry(state, header, body, options).then(
      () => next(),
      (err: unknown) => next(err instanceof Error ? err : new Error(String(err))),
    );
  });
  try {
    await pipeline(state.source, ex as unknown as NodeJS.WritableStream, { signal: options.signal });
  } catch (err) {
    throw asIndexError(err, invalid);
  } finally {
    await Promise.allSettled(state.pending.splice(0));
  }
  state.tell(size - index.end);
  for (const [name, target] of state.links) {
    const found = index.files.get(target);
    if (found !== undefined) index.files.set(name, found);
  }
  return index;
}

/** What one indexing pass shares across entries. */
interface IndexState {
  index: TarFileIndex;
  links: Map<string, string>;
  /** Bodies nobody reads on this pass are skipped, not read from disk. */
  source: SkippingFileSource;
  /** Hashes running on a hasher's threads. */
  pending: Promise<void>[];
  invalid: (what: string) => AirlockError;
  /** TarIndexOptions.onBytes. */
  tell: (n: number) => void;
}

/** Where an entry's data, padded to a block, ends. */
function dataEnd(entry: TarEntry): number {
  return entry.offset + Math.ceil(entry.size / TAR_BLOCK) * TAR_BLOCK;
}

async function onEntry(
  state: IndexState,
  header: Headers,
  body: Readable,
  options: TarIndexOptions,
): Promise<void> {
  const { index, links, source } = state;
  const entry = entryOf(header);
  options.check?.(entry);
  const { name, size, offset } = entry;
  if (offset < 0 || offset + size > index.size) {
    throw state.invalid(`entry ${name} claims ${size} bytes, past the end of the file (truncated?)`);
  }
  index.end = dataEnd(entry);
  if (entry.type === "symlink" || entry.type === "link") {
    const target = entry.linkname ?? "";
    links.set(name, entryName(entry.type === "symlink" ? posix.join(posix.dirname(name), target) : target));
  }
  if (entry.type !== "file" && entry.type !== "contiguous-file") {
    await drain(body);
    return state.tell(size);
  }
  const at: TarFile = { offset, size };
  index.files.set(name, at);
  if (options.keep?.(name) === true) {
    if (size > (options.maxKeep ?? MAX_METADATA)) {
      throw new AirlockError("ERR_TOO_LARGE", `${index.file}: ${name} is too large`);
    }
    const bytes = await readAll(body);
    index.metadata.set(name, bytes);
    if (options.hash !== undefined && options.hash !== false) hashInto(at, bytes);
  } else if (options.hash === true) {
    await hashBody(at, body);
  } else if (options.hash !== undefined && options.hash !== false) {
    source.skip(offset, offset + size);
    // Told as the hasher hashes it.
    state.pending.push(hashAt(options.hash, index.file, at, state.tell));
    return await drain(body);
  } else {
    source.skip(offset, offset + size);
    await drain(body);
  }
  state.tell(size);
}

function entryOf(header: Headers): TarEntry {
  const isDir = header.type === "directory";
  return {
    raw: header.name,
    name: entryName(header.name),
    type: header.type ?? null,
    size: isDir ? 0 : (header.size ?? 0),
    offset: (header as Headers & { byteOffset?: number }).byteOffset ?? -1,
    ...(header.linkname === undefined || header.linkname === null ? {} : { linkname: header.linkname }),
  };
}

function hashInto(at: TarFile, bytes: Buffer): void {
  at.digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  at.head = bytes.subarray(0, 8);
}

async function hashBody(at: TarFile, body: Readable): Promise<void> {
  const hash = createHash("sha256");
  let head = Buffer.alloc(0);
  await drain(body, (chunk) => {
    hash.update(chunk);
    if (head.length < 8) head = Buffer.concat([head, chunk.subarray(0, 8 - head.length)]);
  });
  at.digest = `sha256:${hash.digest("hex")}`;
  at.head = head;
}

/** Hashes a file's bytes on the hasher by offset; a failure is recorded, not thrown. */
async function hashAt(
  hasher: OffsetHasher,
  file: string,
  at: TarFile,
  tell: (n: number) => void,
): Promise<void> {
  let told = 0;
  try {
    const hex = await hasher.hash(file, at.offset, at.size, (n) => {
      told += n;
      tell(n);
    });
    at.digest = `sha256:${hex}`;
  } catch (err) {
    at.hashError = messageOf(err);
  } finally {
    tell(at.size - told);
  }
}

async function drain(stream: Readable, onChunk?: (chunk: Buffer) => void): Promise<void> {
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      onChunk?.(chunk);
      cb();
    },
  });
  await pipeline(stream, sink);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function asIndexError(err: unknown, invalid: (what: string, cause?: unknown) => AirlockError): AirlockError {
  if (err instanceof AirlockError) return err;
  if ((err as { name?: string }).name === "AbortError") {
    return new AirlockError("ERR_ABORTED", "interrupted", { cause: err });
  }
  const text = messageOf(err);
  if (/unexpected end|truncated/i.test(text)) return invalid("the tar ends early (truncated)", err);
  return invalid(`not a readable tar: ${text}`, err);
}

/**
 * A file's bytes straight out of the tar by offset: verified against
 * `expected` as they are read (VerifiedFileRange), or as stored when the
 * consumer verifies them itself.
 */
export function openTarFile(
  tar: { file: string },
  at: { offset: number; size: number },
  expected?: { digest: string; size: number; what: string },
): Readable {
  if (expected !== undefined) return new VerifiedFileRange(tar.file, at.offset, expected);
  if (at.size === 0) return Readable.from([]);
  return createReadStream(tar.file, {
    start: at.offset,
    end: at.offset + at.size - 1,
    highWaterMark: 1 << 20,
  });
}
