import type { FileHandle } from "node:fs/promises";
import { Writable } from "node:stream";

/**
 * A sink that puts its bytes into an open file from `start` on, by position
 * (pwrite, never the file's own offset), so several can fill different
 * ranges of one file at once. Chunks queued together go out in one writev.
 * It never closes the file; `position` is where the next byte goes.
 */
export class FileRangeWriter extends Writable {
  readonly #handle: FileHandle;
  #position: number;

  constructor(handle: FileHandle, start: number, options: { highWaterMark?: number } = {}) {
    super({ highWaterMark: options.highWaterMark ?? 256 * 1024 });
    this.#handle = handle;
    this.#position = start;
  }

  get position(): number {
    return this.#position;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.#put([chunk], callback);
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (err?: Error | null) => void,
  ): void {
    this.#put(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  #put(buffers: Buffer[], callback: (err?: Error | null) => void): void {
    const position = this.#position;
    writeAllAt(this.#handle, buffers, position).then(
      (n) => {
        this.#position = position + n;
        callback();
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
  }
}

/** Writes every buffer at `position` on, however many calls the system takes; the bytes written. */
export async function writeAllAt(handle: FileHandle, buffers: Buffer[], position: number): Promise<number> {
  const total = buffers.reduce((n, b) => n + b.length, 0);
  let done = 0;
  let rest = buffers;
  while (done < total) {
    const { bytesWritten } =
      rest.length === 1 && rest[0] !== undefined
        ? await handle.write(rest[0], 0, rest[0].length, position + done)
        : await handle.writev(rest, position + done);
    if (bytesWritten <= 0) throw new Error(`could not write at offset ${position + done}`);
    done += bytesWritten;
    rest = remainder(rest, bytesWritten);
  }
  return total;
}

/** What is left of `buffers` after its first `n` bytes. */
function remainder(buffers: Buffer[], n: number): Buffer[] {
  let skip = n;
  const out: Buffer[] = [];
  for (const b of buffers) {
    if (skip >= b.length) skip -= b.length;
    else {
      out.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
  }
  return out;
}
