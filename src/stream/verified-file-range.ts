import { createHash, type Hash } from "node:crypto";
import { close, open, read } from "node:fs";
import { Readable } from "node:stream";
import { AirlockError, messageOf } from "../errors.js";
import { parseDigest } from "../oci/digest.js";
import type { ExpectedContent } from "./verify-stream.js";

export interface FileRangeOptions {
  /** Bytes per read and per chunk delivered; default 512 KiB. */
  chunkSize?: number;
  /** Running total of bytes delivered. */
  onBytes?: (total: number) => void;
  /**
   * Read into a small ring of reused buffers (see the class comment for the
   * consumer's side of that bargain) instead of a fresh buffer per chunk.
   * Only for a consumer that hands each chunk on before asking for the next
   * and whose receiver checks the digest (an upload); default false.
   */
  reuseBuffers?: boolean;
}

const DEFAULT_CHUNK = 512 * 1024;
/**
 * Buffers the stream cycles through. A chunk's buffer is refilled only after
 * RING - 1 later chunks were read; see the class comment for why 4 is enough.
 */
const RING = 4;
/**
 * Default-size buffers handed back by streams whose consumer is done with
 * every chunk (release()), for the next streams: one upload after another
 * then allocates nothing, and the heap sees no external-memory churn that
 * would cost a major GC every few dozen uploads.
 */
const spare: Buffer[] = [];
/** Spare buffers kept at most (16 MiB); more are left to the GC. */
const SPARE_MAX = 32;

/**
 * `expected.size` bytes of `file` from offset `start`, hashed as they are
 * read; the last chunk is only delivered once size and sha256 match, so a
 * consumer (an upload) never gets a complete wrong body.
 *
 * With `reuseBuffers` it reads into a small ring of buffers that it reuses instead of a fresh
 * allocation per chunk: gigabytes through the push path would otherwise
 * cost a major GC every few dozen megabytes. A delivered chunk therefore
 * stays valid only until RING - 1 more chunks have been read. That holds for
 * a consumer that writes each chunk to a socket and pauses until it drains
 * (undici and `pipe` do): a chunk is read only when the stream's buffer is
 * empty, which is when the previous one was handed on; the socket then holds
 * at most that one and the unflushed tail of the one before. Should a
 * consumer ever break that, the receiver's digest check (a registry's
 * DIGEST_INVALID) refuses the body: reuse can fail an upload, never
 * corrupt one silently.
 */
export class VerifiedFileRange extends Readable {
  readonly #file: string;
  readonly #start: number;
  readonly #expected: ExpectedContent;
  readonly #chunkSize: number;
  readonly #onBytes: ((total: number) => void) | undefined;
  readonly #reuse: boolean;
  readonly #hash: Hash = createHash("sha256");
  readonly #ring: Buffer[] = [];
  #fd: number | undefined;
  #done = 0;
  #reads = 0;

  constructor(file: string, start: number, expected: ExpectedContent, options: FileRangeOptions = {}) {
    super();
    parseDigest(expected.digest);
    this.#file = file;
    this.#start = start;
    this.#expected = expected;
    this.#chunkSize = Math.max(1, Math.min(options.chunkSize ?? DEFAULT_CHUNK, expected.size || 1));
    this.#onBytes = options.onBytes;
    this.#reuse = options.reuseBuffers === true;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.#file, "r", (err, fd) => {
      if (err !== null) {
        callback(this.#readError(err));
        return;
      }
      this.#fd = fd;
      callback();
    });
  }

  override _read(): void {
    const want = Math.min(this.#chunkSize, this.#expected.size - this.#done);
    if (want === 0) {
      this.#finish(undefined);
      return;
    }
    const buffer = this.#nextBuffer();
    read(this.#fd ?? -1, buffer, 0, want, this.#start + this.#done, (err, bytesRead) => {
      if (err !== null) {
        this.destroy(this.#readError(err));
        return;
      }
      if (bytesRead === 0) {
        this.destroy(this.#sizeError());
        return;
      }
      const chunk = buffer.subarray(0, bytesRead);
      this.#hash.update(chunk);
      this.#done += bytesRead;
      if (this.#done === this.#expected.size) this.#finish(chunk);
      else this.#deliver(chunk);
    });
  }

  /**
   * Hands this stream's buffers to later streams. Only for a consumer that
   * knows every delivered chunk is gone for good, such as an upload the
   * registry has answered (it read every byte): a chunk still queued on a
   * socket would be overwritten. Does nothing unless the stream has ended
   * (then no read into the ring is in flight).
   */
  release(): void {
    if (!this.readableEnded) return;
    for (const buffer of this.#ring.splice(0)) {
      if (buffer.length === DEFAULT_CHUNK && spare.length < SPARE_MAX) spare.push(buffer);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd === undefined) {
      callback(error);
      return;
    }
    close(fd, () => callback(error));
  }

  #nextBuffer(): Buffer {
    if (!this.#reuse) return Buffer.allocUnsafe(this.#chunkSize);
    const slot = this.#reads++ % RING;
    let buffer = this.#ring[slot];
    if (buffer === undefined) {
      buffer =
        (this.#chunkSize === DEFAULT_CHUNK ? spare.pop() : undefined) ??
        Buffer.allocUnsafeSlow(this.#chunkSize);
      this.#ring[slot] = buffer;
    }
    return buffer;
  }

  #deliver(chunk: Buffer): void {
    this.push(chunk);
    this.#onBytes?.(this.#done);
  }

  /** Checks the digest, then delivers the last chunk (if any) and ends. */
  #finish(last: Buffer | undefined): void {
    const actual = this.#hash.digest("hex");
    if (actual !== parseDigest(this.#expected.digest).hex) {
      this.destroy(
        new AirlockError(
          "ERR_DIGEST_MISMATCH",
          `${this.#what()}: content has digest sha256:${actual}, expected ${this.#expected.digest}`,
        ),
      );
      return;
    }
    if (last !== undefined) this.#deliver(last);
    this.push(null);
  }

  #what(): string {
    return this.#expected.what ?? `content ${this.#expected.digest}`;
  }

  #sizeError(): AirlockError {
    return new AirlockError(
      "ERR_SIZE_MISMATCH",
      `${this.#what()}: the file ended after ${this.#done} bytes, expected ${this.#expected.size}`,
    );
  }

  #readError(err: unknown): AirlockError {
    return new AirlockError("ERR_FILE", `${this.#what()}: reading ${this.#file} failed: ${messageOf(err)}`, {
      cause: err,
    });
  }
}
