import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/**
 * The worker: hashes byte ranges of a file with one reused 4 MiB buffer
 * (no garbage per read). Plain CommonJS so it runs from dist/ and from the
 * one-file build alike.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const crypto = require("node:crypto");
const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
const TELL_EVERY = 4 * buf.length;
parentPort.on("message", ({ id, file, offset, size }) => {
  let fd;
  try {
    fd = fs.openSync(file, "r");
    const hash = crypto.createHash("sha256");
    let done = 0;
    let told = 0;
    while (done < size) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, size - done), offset + done);
      if (n <= 0) throw new Error("the file ends before the range does");
      hash.update(buf.subarray(0, n));
      done += n;
      if (done - told >= TELL_EVERY) {
        parentPort.postMessage({ id, bytes: done - told });
        told = done;
      }
    }
    parentPort.postMessage({ id, hex: hash.digest("hex") });
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
});
`;

/** A worker's answer: bytes hashed so far (progress), or the result. */
interface Message {
  id: number;
  bytes?: number;
  hex?: string;
  error?: string;
}

interface Job {
  resolve: (hex: string) => void;
  reject: (err: Error) => void;
  onBytes?: (n: number) => void;
}

/**
 * sha256 of file ranges on worker threads, so verifying a bundle uses every
 * core: the main thread reads the tar's headers while workers hash blobs
 * (from the page cache) by offset.
 */
export class HashPool {
  readonly #workers: Worker[];
  readonly #jobs = new Map<number, Job>();
  #next = 0;

  constructor(threads = Math.min(4, Math.max(1, availableParallelism()))) {
    this.#workers = Array.from({ length: threads }, () => {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.on("message", (msg: Message) => this.#settle(msg));
      worker.on("error", (err) => this.#failAll(err));
      return worker;
    });
  }

  /** Hex sha256 of `size` bytes of `file` from `offset`; `onBytes` hears every 16 MiB hashed. */
  hash(file: string, offset: number, size: number, onBytes?: (n: number) => void): Promise<string> {
    const id = this.#next++;
    const worker = this.#workers[id % this.#workers.length];
    return new Promise((resolve, reject) => {
      this.#jobs.set(id, { resolve, reject, ...(onBytes ? { onBytes } : {}) });
      worker?.postMessage({ id, file, offset, size });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }

  #settle(msg: Message): void {
    if (msg.bytes !== undefined) return void this.#jobs.get(msg.id)?.onBytes?.(msg.bytes);
    const job = this.#jobs.get(msg.id);
    this.#jobs.delete(msg.id);
    if (msg.hex !== undefined) job?.resolve(msg.hex);
    else job?.reject(new Error(msg.error ?? "hashing failed"));
  }

  #failAll(err: Error): void {
    for (const job of this.#jobs.values()) job.reject(err);
    this.#jobs.clear();
  }
}
