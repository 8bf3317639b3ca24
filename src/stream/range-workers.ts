/**
 * File ranges hashed and copied on worker threads, so that the bytes of a
 * bundle are hashed on every core while the main thread keeps the network
 * and the tar's bookkeeping: sha256 of a range (verify-bundle), a file
 * copied into a range of another, verified as it is read (a cached blob into
 * its tar slot), and one sha256 fed range after range (a whole tar, hashed
 * as its prefix completes). Each worker reads into one reused 1 MiB buffer:
 * no garbage per read, no stream per chunk.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { AirlockError, type ErrorCode } from "../errors.js";
import { parseDigest } from "../oci/digest.js";

/** Where some content sits in a local file: the whole file, or `size` bytes of it from `offset`. */
export interface FileRange {
  file: string;
  offset: number;
  /** The file holds this content and nothing else (a cache file), so its size must be the content's. */
  whole: boolean;
}

/**
 * The worker. Plain CommonJS so it runs from dist/ and from the one-file
 * build alike. Jobs run one at a time, in the order posted.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const crypto = require("node:crypto");
const buf = Buffer.allocUnsafe(1024 * 1024);
const TELL_EVERY = 16 * buf.length;
let session;
class JobError extends Error {
  constructor(code, message) { super(message); this.code = code; }
}
function readFully(fd, length, position) {
  let got = 0;
  while (got < length) {
    const n = fs.readSync(fd, buf, got, length - got, position + got);
    if (n <= 0) return got;
    got += n;
  }
  return got;
}
function writeFully(fd, length, position) {
  let put = 0;
  while (put < length) put += fs.writeSync(fd, buf, put, length - put, position + put);
}
/** Hashes size bytes of fd from offset into hash; calls each(n, done) after every read. */
function pump(fd, offset, size, hash, each) {
  let done = 0;
  while (done < size) {
    const want = Math.min(buf.length, size - done);
    const n = readFully(fd, want, offset + done);
    if (n < want) throw new JobError("ERR_SIZE_MISMATCH", "the file ends after " + (done + n) + " of " + size + " bytes");
    hash.update(buf.subarray(0, n));
    each(n, done);
    done += n;
  }
}
function ticker(id) {
  let told = 0, since = 0;
  return (n) => {
    since += n;
    if (since - told >= TELL_EVERY) { parentPort.postMessage({ id, bytes: since - told }); told = since; }
  };
}
const ops = {
  hash({ id, file, offset, size }) {
    const fd = fs.openSync(file, "r");
    try {
      const hash = crypto.createHash("sha256");
      pump(fd, offset, size, hash, ticker(id));
      return hash.digest("hex");
    } finally { fs.closeSync(fd); }
  },
  copy({ id, from, fromOffset, whole, size, to, toOffset, hex }) {
    let src;
    try { src = fs.openSync(from, "r"); }
    catch (err) { throw new JobError("ERR_NOT_FOUND", "cannot read " + from + ": " + err.message); }
    let dst;
    try {
      const actual = fs.fstatSync(src).size;
      if (whole ? actual !== size : actual < fromOffset + size) throw new JobError("ERR_SIZE_MISMATCH", "the file holds " + actual + " bytes, expected " + (whole ? size : "at least " + (fromOffset + size)));
      // r+: never creates the target, which is gone when the write was abandoned.
      dst = fs.openSync(to, "r+");
      const hash = crypto.createHash("sha256");
      const tell = ticker(id);
      pump(src, fromOffset, size, hash, (n, done) => { writeFully(dst, n, toOffset + done); tell(n); });
      const got = hash.digest("hex");
      if (got !== hex) throw new JobError("ERR_DIGEST_MISMATCH", "content has digest sha256:" + got + ", expected sha256:" + hex);
      return size;
    } finally {
      fs.closeSync(src);
      if (dst !== undefined) fs.closeSync(dst);
    }
  },
  update({ file, offset, size }) {
    if (session === undefined) session = { hash: crypto.createHash("sha256"), file, fd: fs.openSync(file, "r") };
    pump(session.fd, offset, size, session.hash, () => undefined);
    return size;
  },
  digest() {
    if (session === undefined) return crypto.createHash("sha256").digest("hex");
    const { hash, fd } = session;
    session = undefined;
    fs.closeSync(fd);
    return hash.digest("hex");
  },
};
parentPort.on("message", (job) => {
  try {
    parentPort.postMessage({ id: job.id, result: ops[job.op](job) });
  } catch (err) {
    if (job.op === "update" && session !== undefined) { fs.closeSync(session.fd); session = undefined; }
    parentPort.postMessage({ id: job.id, error: { code: err.code, message: String((err && err.message) || err) } });
  }
});
`;

/** Heap limits of a worker, in MiB: its young generation small (what it allocates dies young). */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 48 };

/** A worker's answer: bytes done so far (progress), or the job's result or failure. */
interface Message {
  id: number;
  bytes?: number;
  result?: string | number;
  error?: { code?: string; message: string };
}

interface Job {
  resolve: (result: string | number) => void;
  reject: (err: Error) => void;
  onBytes?: ((n: number) => void) | undefined;
  worker: Slot;
}

interface Slot {
  worker: Worker;
  pending: number;
}

/** What a copy must produce: the source range holds exactly `size` bytes whose sha256 is `digest`. */
export interface RangeCopy {
  /** Where to read: a file holding the content alone, or a range of a larger one (a bundle's blob). */
  from: FileRange;
  digest: string;
  size: number;
  /** The file to write into (it must exist), and where. */
  to: string;
  toOffset: number;
  /** Names the content in errors, e.g. "blob sha256:… in CACHE". */
  what: string;
}

/** One sha256 over ranges of a file, fed in order; a worker of its own. */
export interface RangeHash {
  /** Adds `size` bytes of the file from `offset` (ranges are hashed in the order given). */
  update(offset: number, size: number): void;
  /** The hex sha256 of every range added; the first failure is thrown. */
  digest(): Promise<string>;
}

const CODES = new Set<string>(["ERR_SIZE_MISMATCH", "ERR_DIGEST_MISMATCH", "ERR_NOT_FOUND"]);

/** Worker threads hashing and copying file ranges; each job goes to the least busy one. */
export class RangeWorkers {
  readonly #slots: Slot[] = [];
  readonly #threads: number;
  readonly #jobs = new Map<number, Job>();
  readonly #extra = new Set<Worker>();
  #next = 0;

  /** At most `threads` workers for hashes and copies, each started when first needed. */
  constructor(threads = Math.min(4, Math.max(1, availableParallelism()))) {
    this.#threads = Math.max(1, threads);
  }

  /** Hex sha256 of `size` bytes of `file` from `offset`; `onBytes` hears every 16 MiB hashed. */
  async hash(file: string, offset: number, size: number, onBytes?: (n: number) => void): Promise<string> {
    return String(await this.#run(this.#leastBusy(), { op: "hash", file, offset, size }, onBytes));
  }

  /**
   * Copies the range `from` into `to` at `toOffset`, hashing as it reads: fails with
   * ERR_SIZE_MISMATCH or ERR_DIGEST_MISMATCH (after writing) unless the source
   * holds exactly the expected bytes, ERR_NOT_FOUND when it cannot be read.
   */
  async copy(job: RangeCopy, onBytes?: (n: number) => void): Promise<void> {
    const { size, to, toOffset } = job;
    const { file: from, offset: fromOffset, whole } = job.from;
    const hex = parseDigest(job.digest).hex;
    let told = 0;
    const tell = (n: number): void => {
      told += n;
      onBytes?.(n);
    };
    try {
      await this.#run(
        this.#leastBusy(),
        { op: "copy", from, fromOffset, whole, size, to, toOffset, hex },
        tell,
      );
    } catch (err) {
      throw withWhat(err, job.what);
    }
    if (told < size) onBytes?.(size - told);
  }

  /** A sha256 fed with ranges of `file`, on a worker of its own (freed by `digest`). */
  rangeHash(file: string): RangeHash {
    const slot = { worker: this.#spawn(), pending: 0 };
    this.#extra.add(slot.worker);
    let failure: Error | undefined;
    let updates: Promise<unknown> = Promise.resolve();
    const finish = async (): Promise<void> => {
      this.#extra.delete(slot.worker);
      await slot.worker.terminate();
    };
    let digested: Promise<string> | undefined;
    return {
      update: (offset, size) => {
        if (size === 0 || digested !== undefined) return;
        const run = this.#run(slot, { op: "update", file, offset, size });
        run.catch((err: unknown) => (failure ??= err instanceof Error ? err : new Error(String(err))));
        updates = run;
      },
      // Once: a second call (an abort after a failed commit) gets the same answer.
      digest: () =>
        (digested ??= (async () => {
          try {
            await updates.catch(() => undefined);
            if (failure !== undefined) throw failure;
            return String(await this.#run(slot, { op: "digest" }));
          } finally {
            await finish();
          }
        })()),
    };
  }

  async close(): Promise<void> {
    const workers = [...this.#slots.map((s) => s.worker), ...this.#extra];
    this.#extra.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }

  #spawn(): Worker {
    // Small heaps: a worker holds one 1 MiB buffer and a hash, whatever flags node was started with.
    const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: WORKER_LIMITS });
    worker.on("message", (msg: Message) => this.#settle(msg));
    worker.on("error", (err) => this.#failAll(worker, err));
    // A worker gone (it crashed, or was terminated) takes no more jobs; what it held fails.
    worker.on("exit", () => {
      this.#failAll(worker, new AirlockError("ERR_FILE", "a hashing worker thread stopped"));
      const at = this.#slots.findIndex((s) => s.worker === worker);
      if (at !== -1) this.#slots.splice(at, 1);
    });
    return worker;
  }

  /** An idle worker, else a new one while there may be more, else the one with the shortest queue. */
  #leastBusy(): Slot {
    let best: Slot | undefined;
    for (const slot of this.#slots) if (best === undefined || slot.pending < best.pending) best = slot;
    if (best !== undefined && (best.pending === 0 || this.#slots.length >= this.#threads)) return best;
    const slot = { worker: this.#spawn(), pending: 0 };
    this.#slots.push(slot);
    return slot;
  }

  #run(
    slot: Slot,
    message: Record<string, unknown>,
    onBytes?: (n: number) => void,
  ): Promise<string | number> {
    const id = this.#next++;
    slot.pending++;
    return new Promise((resolve, reject) => {
      this.#jobs.set(id, { resolve, reject, onBytes, worker: slot });
      slot.worker.postMessage({ ...message, id });
    });
  }

  #settle(msg: Message): void {
    const job = this.#jobs.get(msg.id);
    if (job === undefined) return;
    if (msg.bytes !== undefined) return void job.onBytes?.(msg.bytes);
    this.#jobs.delete(msg.id);
    job.worker.pending--;
    if (msg.error === undefined) job.resolve(msg.result ?? "");
    else {
      const code = msg.error.code;
      job.reject(
        code !== undefined && CODES.has(code)
          ? new AirlockError(code as ErrorCode, msg.error.message)
          : new AirlockError("ERR_FILE", msg.error.message),
      );
    }
  }

  #failAll(worker: Worker, err: Error): void {
    for (const [id, job] of this.#jobs) {
      if (job.worker.worker !== worker) continue;
      this.#jobs.delete(id);
      job.reject(err);
    }
  }
}

/** The worker's message, prefixed with what was copied. */
function withWhat(err: unknown, what: string): unknown {
  if (!(err instanceof AirlockError)) return err;
  return new AirlockError(err.code, `${what}: ${err.message}`, { cause: err });
}
