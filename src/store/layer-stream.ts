/** Reading layer tars: decompressing by media type, and walking their entries. */
import type { Readable } from "node:stream";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { extract, type Header } from "tar-stream";
import { AirlockError } from "../errors.js";

/** The uncompressed tar of a layer blob. */
export function uncompressedLayer(blob: Readable, mediaType: string): Readable {
  if (/gzip/.test(mediaType)) {
    const gunzip = createGunzip();
    blob.once("error", (err) => gunzip.destroy(err));
    return blob.pipe(gunzip);
  }
  if (/zstd/.test(mediaType)) {
    blob.destroy();
    throw new AirlockError("ERR_UNSUPPORTED", `layers of type ${mediaType} (zstd) are not supported`);
  }
  return blob;
}

/**
 * Calls `onEntry` for each entry of a tar, in order; it must consume the
 * entry's body (pipe it, or `drain` it). The whole stream is read, so a
 * verifying source checks every byte.
 */
export async function forEachEntry(
  tar: Readable,
  onEntry: (header: Header, body: Readable) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const ex = extract();
  ex.on("entry", (header, body, next) => {
    const stream = body as unknown as Readable;
    onEntry(header, stream).then(
      () => next(),
      (err: unknown) => next(err instanceof Error ? err : new Error(String(err))),
    );
  });
  await pipeline(tar, ex as unknown as NodeJS.WritableStream, { signal });
}

/** Reads what is left of a stream, discarding it. */
export async function drain(stream: Readable): Promise<void> {
  await pipeline(stream, new Writable({ write: (_c, _e, cb) => cb() }));
}
