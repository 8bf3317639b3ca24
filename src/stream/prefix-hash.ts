/**
 * The sha256 of a file written out of order, computed without reading it
 * back at the end: ranges are reported as they are complete, and each time
 * the complete prefix grows, the new part of it is hashed (read back from
 * the page cache while later ranges are still being written, on a worker
 * when one is given).
 */
import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import type { RangeHash } from "./range-workers.js";

export class PrefixHash {
  readonly #hash: RangeHash;
  /** Complete ranges past the prefix, by start: their ends. */
  readonly #complete = new Map<number, number>();
  #prefix = 0;

  constructor(hash: RangeHash) {
    this.#hash = hash;
  }

  /** Bytes from 0 that are complete (and handed to the hash). */
  get prefix(): number {
    return this.#prefix;
  }

  /** Notes that [start, end) is written for good. */
  complete(start: number, end: number): void {
    if (end <= start) return;
    this.#complete.set(start, end);
    const from = this.#prefix;
    for (let next = this.#complete.get(this.#prefix); next !== undefined;) {
      this.#complete.delete(this.#prefix);
      this.#prefix = next;
      next = this.#complete.get(next);
    }
    if (this.#prefix > from) this.#hash.update(from, this.#prefix - from);
  }

  /** The hex sha256 of the file's first `size` bytes, once all of them are complete. */
  async digest(size: number): Promise<string> {
    if (this.#prefix !== size) {
      await this.#hash.digest().catch(() => undefined);
      throw new Error(`only ${this.#prefix} of ${size} bytes are complete`);
    }
    return await this.#hash.digest();
  }
}

/** A RangeHash on this thread, reading from an open file (for small files, or without workers). */
export function handleRangeHash(handle: FileHandle): RangeHash {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(1 << 20);
  let queue: Promise<void> = Promise.resolve();
  let failure: Error | undefined;
  const read = async (offset: number, size: number): Promise<void> => {
    for (let done = 0; done < size;) {
      const want = Math.min(buffer.length, size - done);
      const { bytesRead } = await handle.read(buffer, 0, want, offset + done);
      if (bytesRead <= 0) throw new Error(`the file ends at ${offset + done}, before ${offset + size}`);
      hash.update(buffer.subarray(0, bytesRead));
      done += bytesRead;
    }
  };
  return {
    update(offset, size) {
      queue = queue.then(() => (failure === undefined ? read(offset, size) : undefined));
      queue = queue.catch((err: unknown) => void (failure ??= asError(err)));
    },
    async digest() {
      await queue;
      if (failure !== undefined) throw failure;
      failure = new Error("the hash was already taken");
      return hash.digest("hex");
    },
  };
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
