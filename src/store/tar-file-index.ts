/**
 * Reads an archive (oci-archive, docker-archive) once, without extracting:
 * where each file's bytes are, so they can later be streamed straight out of
 * the tar by offset, plus the small metadata files in memory.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { posix } from "node:path";
import { Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { extract, type Header as Headers } from "tar-stream";
import { AirlockError, messageOf } from "../errors.js";
import { SkippingFileSource } from "../stream/skipping-source.js";
import { VerifyStream } from "../stream/verify-stream.js";

const MAX_METADATA = 16 * 1024 * 1024;

/** One regular file in the archive. */
export interface TarFile {
  offset: number;
  size: number;
  /** With `hash`: "sha256:…" of the bytes, and their first bytes (to tell compression). */
  digest?: string;
  head?: Buffer;
}

export interface TarFileIndex {
  file: string;
  files: Map<string, TarFile>;
  /** Files `keep` asked for, whole. */
  metadata: Map<string, Buffer>;
}

export interface TarIndexOptions {
  /** Names (normalised: no "./") to read into memory. */
  keep: (name: string) => boolean;
  /** Hash every file (docker-archive, whose file names are not digests). */
  hash?: boolean;
  signal?: AbortSignal;
}

/** Normalises an entry name: no leading "./" or "/", no trailing "/". */
export function entryName(raw: string): string {
  const name = posix.normalize(raw.replace(/^\.?\/+/, "")).replace(/\/+$/, "");
  return name === "." ? "" : name;
}

/** Indexes `file`. @throws AirlockError ERR_FILE (unreadable), ERR_MANIFEST_INVALID (not a tar). */
export async function indexTarFile(
  file: string,
  kind: string,
  options: TarIndexOptions,
): Promise<TarFileIndex> {
  const size = (
    await stat(file).catch((err: unknown) => {
      throw new AirlockError("ERR_FILE", `cannot read ${kind} ${file}: ${messageOf(err)}`, { cause: err });
    })
  ).size;
  const index: TarFileIndex = { file, files: new Map(), metadata: new Map() };
  const links = new Map<string, string>();
  const source = new SkippingFileSource(file, size);
  const ex = extract();
  ex.on("entry", (header, stream, next) => {
    onEntry({ index, links, source, fileSize: size }, header, stream as unknown as Readable, options).then(
      () => next(),
      (err: unknown) => next(err instanceof Error ? err : new Error(String(err))),
    );
  });
  try {
    await pipeline(source, ex as unknown as NodeJS.WritableStream, { signal: options.signal });
  } catch (err) {
    if (err instanceof AirlockError) throw err;
    throw new AirlockError("ERR_FILE", `${kind} ${file} is not a readable tar: ${messageOf(err)}`, {
      cause: err,
    });
  }
  for (const [name, target] of links) {
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
  fileSize: number;
}

async function onEntry(
  { index, links, source, fileSize }: IndexState,
  header: Headers,
  stream: Readable,
  options: TarIndexOptions,
): Promise<void> {
  const name = entryName(header.name);
  if (header.type === "symlink" || header.type === "link") {
    const target = header.linkname ?? "";
    links.set(name, entryName(header.type === "symlink" ? posix.join(posix.dirname(name), target) : target));
  }
  if (header.type !== "file" && header.type !== "contiguous-file") return await drain(stream);
  const size = header.size ?? 0;
  const offset = (header as Headers & { byteOffset?: number }).byteOffset ?? -1;
  if (offset < 0 || offset + size > fileSize) {
    throw new AirlockError(
      "ERR_FILE",
      `${index.file}: entry ${name} runs past the end of the file (truncated?)`,
    );
  }
  const entry: TarFile = { offset, size };
  index.files.set(name, entry);
  if (options.keep(name)) {
    if (size > MAX_METADATA) throw new AirlockError("ERR_TOO_LARGE", `${index.file}: ${name} is too large`);
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    index.metadata.set(name, Buffer.concat(chunks));
    if (options.hash === true) hashInto(entry, [index.metadata.get(name) ?? Buffer.alloc(0)]);
  } else if (options.hash === true) {
    const hash = createHash("sha256");
    let head = Buffer.alloc(0);
    await drain(stream, (chunk) => {
      hash.update(chunk);
      if (head.length < 8) head = Buffer.concat([head, chunk.subarray(0, 8 - head.length)]);
    });
    entry.digest = `sha256:${hash.digest("hex")}`;
    entry.head = head;
  } else {
    source.skip(offset, offset + size);
    await drain(stream);
  }
}

function hashInto(entry: TarFile, chunks: Buffer[]): void {
  const hash = createHash("sha256");
  for (const c of chunks) hash.update(c);
  entry.digest = `sha256:${hash.digest("hex")}`;
  entry.head = (chunks[0] ?? Buffer.alloc(0)).subarray(0, 8);
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

/** A file's bytes straight out of the tar, verified against the descriptor. */
export function openTarFile(
  index: TarFileIndex,
  at: TarFile,
  expected: { digest: string; size: number; what: string },
): Readable {
  const verify = new VerifyStream(expected);
  if (at.size === 0) {
    verify.end();
    return verify;
  }
  const source = createReadStream(index.file, {
    start: at.offset,
    end: at.offset + at.size - 1,
    highWaterMark: 1 << 20,
  });
  source.once("error", (err) => verify.destroy(err));
  return source.pipe(verify);
}
