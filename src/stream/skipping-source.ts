import { close, open, read } from "node:fs";
import { Readable } from "node:stream";

/** Reads between skipped ranges: a run of small entries (manifests, configs) fits in a few. */
const READ_CHUNK = 64 * 1024;
/**
 * Bytes of zeros per chunk for a skipped range. Few large chunks cost the
 * parser few passes; the buffer is never written nor read (the parser only
 * slices it and the indexer drops bodies unread), so its pages stay unmapped.
 */
const ZEROS_CHUNK = 16 * 1024 * 1024;
let zeros: Buffer | undefined;

/**
 * A file's bytes for a tar parser, except that ranges the caller declares
 * uninteresting (blob bodies nobody reads on this pass) are not read from
 * disk: zeros of the same length stand in for them. The parser still sees
 * every header and every byte count it expects, so indexing a bundle costs
 * its headers, not its gigabytes. Ranges are declared as the parser reaches
 * them, in increasing order; bytes already read past a range's start are
 * simply delivered as read.
 */
export class SkippingFileSource extends Readable {
  readonly #file: string;
  readonly #size: number;
  readonly #skips: { start: number; end: number }[] = [];
  #fd: number | undefined;
  #pos = 0;

  constructor(file: string, size: number) {
    super({ highWaterMark: READ_CHUNK });
    this.#file = file;
    this.#size = size;
  }

  /** Bytes [start, end) need not be read. */
  skip(start: number, end: number): void {
    if (end > start) this.#skips.push({ start, end });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.#file, "r", (err, fd) => {
      this.#fd = fd;
      callback(err);
    });
  }

  override _read(): void {
    while (this.#skips.length > 0 && (this.#skips[0]?.end ?? 0) <= this.#pos) this.#skips.shift();
    const next = this.#skips[0];
    if (next !== undefined && next.start <= this.#pos) {
      const n = Math.min(ZEROS_CHUNK, next.end - this.#pos);
      zeros ??= Buffer.alloc(ZEROS_CHUNK);
      this.#pos += n;
      this.push(zeros.subarray(0, n));
      return;
    }
    const limit = next === undefined ? this.#size : next.start;
    const want = Math.min(READ_CHUNK, limit - this.#pos);
    if (want <= 0) {
      this.push(null);
      return;
    }
    const buffer = Buffer.allocUnsafe(want);
    read(this.#fd ?? -1, buffer, 0, want, this.#pos, (err, bytesRead) => {
      if (err !== null) {
        this.destroy(err);
        return;
      }
      this.#pos += bytesRead;
      this.push(bytesRead === 0 ? null : buffer.subarray(0, bytesRead));
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd === undefined) callback(error);
    else close(fd, () => callback(error));
  }
}
