/**
 * The one tar writer. Every entry has its place before a byte is written (a
 * TarLayout given up front, or grown entry by entry as a target writes an
 * archive as it goes), and each entry's header, data and padding are written
 * at that place. The archive is built as a temporary file beside the target
 * (`.NAME.<random>.tmp`, or the `partial` name given) and renamed over it on
 * `commit`: a failed or interrupted write leaves no file under the final name.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AirlockError, abortedError, isAirlockError, messageOf } from "../errors.js";
import { FileRangeWriter, writeAllAt } from "../stream/file-range-writer.js";
import type { PositionalWrite } from "../stream/gathered-writes.js";
import { PrefixHash, handleRangeHash } from "../stream/prefix-hash.js";
import type { RangeHash } from "../stream/range-workers.js";
import { VerifyStream } from "../stream/verify-stream.js";
import { TAR_END_BYTES, TarLayout, type TarEntrySpec, type TarSlot } from "./tar-layout.js";

/** Bytes written between background syncs (with the `sync` option). */
const SYNC_EVERY = 256 * 1024 * 1024;

/** Zeros for padding and the end-of-archive marker. */
const ZEROS = Buffer.alloc(TAR_END_BYTES);

export interface TarWriterOptions {
  /** Every entry, in order, when known before the first byte; without it, entries are placed as added. */
  layout?: TarLayout;
  /** The temporary file to build the archive in (replaced if present); default `.NAME.<random>.tmp`. */
  partial?: string;
  /**
   * Entries of the layout already complete in `partial` (an earlier run's,
   * checked by the caller): the file is then kept, not replaced, and they
   * count as written.
   */
  keep?: readonly TarSlot[];
  /** `abort` leaves `partial` in place, for a re-run to continue (default: it is removed). */
  keepOnAbort?: boolean;
  /**
   * fsync the archive before renaming it into place; while it is written,
   * every SYNC_EVERY bytes are sent to disk in the background, so that the
   * last fsync has little left to do.
   */
  sync?: boolean;
  /**
   * sha256 of the whole archive, in the result of `commit`: hashed as its
   * complete prefix grows, by `rangeHash` (a worker's) when given, else on
   * this thread.
   */
  hash?: boolean;
  rangeHash?: (file: string) => RangeHash;
  signal?: AbortSignal;
  /** Bytes written, headers and padding included, as they go. */
  onBytes?: (n: number) => void;
}

/** Where an entry's data goes, for `fill`. */
export interface SlotTarget {
  /** The archive being built, and the entry's data offset in it. */
  file: string;
  offset: number;
  /** Writes `data` at byte `at` of the entry's data. */
  write: PositionalWrite;
}

export interface WrittenTar {
  file: string;
  size: number;
  /** sha256 of the whole archive, hex (with the `hash` option). */
  sha256?: string;
}

export class TarWriter {
  readonly file: string;
  /** Where every entry goes; fixed when given to `create`, otherwise growing with each entry added. */
  readonly layout: TarLayout;
  readonly #fixed: boolean;
  readonly #temp: string;
  readonly #handle: FileHandle;
  readonly #options: TarWriterOptions;
  readonly #written = new Set<TarSlot>();
  /** The archive's sha256, fed as its complete prefix grows. */
  readonly #hash: PrefixHash | undefined;
  /** Writes under way, awaited by `commit`. */
  readonly #inFlight = new Set<Promise<void>>();
  #queue: Promise<void> = Promise.resolve();
  #failure: Error | undefined;
  #closed = false;
  /** Bytes written since the last background sync began, and that sync. */
  #unsynced = 0;
  #syncing: Promise<void> | undefined;

  private constructor(file: string, temp: string, handle: FileHandle, options: TarWriterOptions) {
    this.file = file;
    this.#temp = temp;
    this.#handle = handle;
    this.#options = options;
    this.#fixed = options.layout !== undefined;
    this.layout = options.layout ?? new TarLayout();
    this.#hash =
      options.hash === true
        ? new PrefixHash(options.rangeHash?.(temp) ?? handleRangeHash(handle))
        : undefined;
    for (const slot of options.keep ?? []) {
      this.#checkWritable(slot);
      this.#written.add(slot);
      this.#hash?.complete(slot.headerOffset, slot.end);
    }
  }

  /** Starts the temporary file. @throws AirlockError ERR_FILE when the directory is missing or `file` is one. */
  static async create(file: string, options: TarWriterOptions = {}): Promise<TarWriter> {
    const dir = dirname(file);
    const info = await stat(dir).catch(() => undefined);
    if (info === undefined || !info.isDirectory()) {
      throw new AirlockError("ERR_FILE", `cannot write ${file}: directory ${dir} does not exist`);
    }
    if ((await stat(file).catch(() => undefined))?.isDirectory() === true) {
      throw new AirlockError("ERR_FILE", `cannot write ${file}: it is a directory`);
    }
    await mkdir(dir, { recursive: true });
    const temp = options.partial ?? join(dir, `.${basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
    const mode = options.partial === undefined ? "wx+" : options.keep?.length ? "r+" : "w+";
    const handle = await open(temp, mode).catch((err: unknown) => {
      throw new AirlockError("ERR_FILE", `cannot write ${temp}: ${messageOf(err)}`, { cause: err });
    });
    return new TarWriter(file, temp, handle, options);
  }

  /** Adds a directory entry, after those added before. */
  directory(name: string): Promise<void> {
    return this.#enqueue({ name, size: 0, type: "directory" }, (slot) =>
      this.write(slot, ZEROS.subarray(0, 0)),
    );
  }

  /** Adds a small file from memory, after those added before. */
  bytes(name: string, data: Buffer): Promise<void> {
    return this.#enqueue({ name, size: data.length }, (slot) => this.write(slot, data));
  }

  /** Adds a file streamed from `open()`, which must give exactly `digest`/`size`, verified as it goes in. */
  stream(
    name: string,
    expected: { digest: string; size: number },
    open: () => Promise<Readable>,
  ): Promise<void> {
    return this.#enqueue({ name, size: expected.size }, async (slot) => {
      const verify = new VerifyStream({ ...expected, what: `${name} in ${this.file}` });
      const source = await open();
      source.once("error", (err) => verify.destroy(err));
      try {
        await this.write(slot, source.pipe(verify));
      } catch (err) {
        source.destroy();
        throw err;
      }
    });
  }

  /**
   * Writes one entry of the layout: its header, then `content` (exactly the
   * slot's size, else ERR_SIZE_MISMATCH), then the padding, each at its
   * offset. Entries may be written in any order, several at once; each once.
   */
  write(slot: TarSlot, content: Buffer | Readable): Promise<void> {
    try {
      this.#checkWritable(slot);
    } catch (err) {
      if (!Buffer.isBuffer(content)) content.destroy();
      return Promise.reject(asError(err));
    }
    this.#written.add(slot);
    return this.#track(this.#place(slot, content));
  }

  /**
   * Writes one entry whose data `fill` puts into the archive itself: by
   * `target.write` (counted here), or by other means (a copy on a worker) at
   * `target.offset` of `target.file`, telling `onBytes` as it goes. The header
   * and padding are written here. As `write`: any order, each entry once.
   */
  fill(
    slot: TarSlot,
    fill: (target: SlotTarget, onBytes: (n: number) => void) => Promise<void>,
  ): Promise<void> {
    try {
      this.#checkWritable(slot);
    } catch (err) {
      return Promise.reject(asError(err));
    }
    this.#written.add(slot);
    return this.#track(
      this.#guard(async () => {
        await writeAllAt(this.#handle, [slot.header], slot.headerOffset);
        await writeAllAt(this.#handle, [padding(slot)], slot.dataOffset + slot.size);
        this.#count(slot.header.length + padding(slot).length);
        const write: PositionalWrite = async (data, at) => {
          if (at + data.length > slot.size) throw sizeMismatch(slot, at + data.length);
          await writeAllAt(this.#handle, [data], slot.dataOffset + at);
          this.#count(data.length);
        };
        await fill({ file: this.#temp, offset: slot.dataOffset, write }, (n) => this.#count(n));
        this.#hash?.complete(slot.headerOffset, slot.end);
      }),
    );
  }

  async #place(slot: TarSlot, content: Buffer | Readable): Promise<void> {
    await this.#guard(async () => {
      if (Buffer.isBuffer(content)) await this.#writeBuffer(slot, content);
      else await this.#writeStream(slot, content);
      this.#hash?.complete(slot.headerOffset, slot.end);
    });
  }

  /** Runs a write; its failure (an abort told as one) fails the archive. */
  async #guard(job: () => Promise<void>): Promise<void> {
    try {
      this.#options.signal?.throwIfAborted();
      await job();
    } catch (err) {
      const failure =
        this.#options.signal?.aborted === true && !isAbort(err) ? abortedError(err) : asError(err);
      this.#failure ??= failure;
      throw failure;
    }
  }

  #track(writing: Promise<void>): Promise<void> {
    this.#inFlight.add(writing);
    void writing.then(
      () => this.#inFlight.delete(writing),
      () => this.#inFlight.delete(writing),
    );
    return writing;
  }

  /** Ends the archive, syncs it when asked, and renames it into place. */
  async commit(): Promise<WrittenTar> {
    await this.#queue.catch(() => undefined);
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
    try {
      if (this.#failure !== undefined) throw this.#failure;
      const missing = this.layout.slots.find((s) => !this.#written.has(s));
      if (missing !== undefined) {
        throw new AirlockError("ERR_USAGE", `${this.file}: tar entry ${missing.name} was never written`);
      }
      const end = ZEROS.subarray(0, TAR_END_BYTES);
      await writeAllAt(this.#handle, [end], this.layout.entriesEnd);
      await this.#handle.truncate(this.layout.size);
      this.#count(end.length);
      this.#hash?.complete(this.layout.entriesEnd, this.layout.size);
      // The last of the hash is read back while the data goes to disk.
      await this.#syncing;
      const [sha256] = await Promise.all([
        this.#hash?.digest(this.layout.size),
        this.#options.sync === true ? this.#handle.sync() : undefined,
      ]);
      await this.#handle.close();
      await rename(this.#temp, this.file);
      return { file: this.file, size: this.layout.size, ...(sha256 === undefined ? {} : { sha256 }) };
    } catch (err) {
      await this.abort();
      if (isAirlockError(err)) throw err;
      throw new AirlockError("ERR_FILE", `cannot write ${this.file}: ${messageOf(err)}`, { cause: err });
    }
  }

  /** Stops writing and removes the temporary file (unless `keepOnAbort`). Safe to call more than once. */
  async abort(): Promise<void> {
    this.#closed = true;
    this.#failure ??= new AirlockError("ERR_FILE", `${this.file}: the write was abandoned`);
    await this.#hash?.digest(-1).catch(() => undefined); // frees its worker
    await this.#syncing;
    await this.#handle.close().catch(() => undefined);
    if (this.#options.keepOnAbort !== true) await rm(this.#temp, { force: true });
  }

  async #writeBuffer(slot: TarSlot, data: Buffer): Promise<void> {
    if (data.length !== slot.size) throw sizeMismatch(slot, data.length);
    const parts = [slot.header, data, padding(slot)];
    await writeAllAt(this.#handle, parts, slot.headerOffset);
    this.#count(slot.end - slot.headerOffset);
  }

  async #writeStream(slot: TarSlot, content: Readable): Promise<void> {
    await writeAllAt(this.#handle, [slot.header], slot.headerOffset);
    this.#count(slot.header.length);
    let received = 0;
    const count = new Transform({
      transform: (chunk: Buffer, _enc, callback) => {
        received += chunk.length;
        if (received > slot.size) {
          callback(sizeMismatch(slot, received));
          return;
        }
        this.#count(chunk.length);
        callback(null, chunk);
      },
    });
    await pipeline(content, count, new FileRangeWriter(this.#handle, slot.dataOffset), {
      signal: this.#options.signal,
    });
    if (received !== slot.size) throw sizeMismatch(slot, received);
    const pad = padding(slot);
    await writeAllAt(this.#handle, [pad], slot.dataOffset + slot.size);
    this.#count(pad.length);
  }

  #count(n: number): void {
    this.#options.onBytes?.(n);
    if (this.#options.sync !== true) return;
    this.#unsynced += n;
    if (this.#unsynced < SYNC_EVERY || this.#syncing !== undefined || this.#closed) return;
    this.#unsynced = 0;
    // What has been written so far goes to disk while the rest arrives; commit's fsync is the one
    // that counts, so a failure here only means that one has more to do.
    this.#syncing = this.#handle
      .datasync()
      .catch(() => undefined)
      .finally(() => (this.#syncing = undefined));
  }

  #checkWritable(slot: TarSlot): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#closed) throw new AirlockError("ERR_FILE", `${this.file} is already closed`);
    if (this.layout.slot(slot.name) !== slot) {
      throw new AirlockError("ERR_USAGE", `${this.file}: tar entry ${slot.name} is not in its layout`);
    }
    if (this.#written.has(slot)) {
      throw new AirlockError("ERR_USAGE", `${this.file}: tar entry ${slot.name} is written twice`);
    }
  }

  /** Places `entry` (found in a fixed layout, else appended) now, and writes it after what is queued. */
  #enqueue(entry: TarEntrySpec, job: (slot: TarSlot) => Promise<void>): Promise<void> {
    let slot: TarSlot;
    try {
      if (this.#failure !== undefined) throw this.#failure;
      if (this.#closed) throw new AirlockError("ERR_FILE", `${this.file} is already closed`);
      slot = this.#fixed ? this.#planned(entry) : this.layout.add(entry);
    } catch (err) {
      return Promise.reject(asError(err));
    }
    const run = this.#queue.then(() => job(slot));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #planned(entry: TarEntrySpec): TarSlot {
    const slot = this.layout.slot(entry.name);
    if (slot === undefined || slot.size !== entry.size || slot.type !== (entry.type ?? "file")) {
      throw new AirlockError(
        "ERR_USAGE",
        `${this.file}: tar entry ${entry.name} is not in the planned layout`,
      );
    }
    return slot;
  }
}

function padding(slot: TarSlot): Buffer {
  return ZEROS.subarray(0, slot.end - slot.dataOffset - slot.size);
}

function sizeMismatch(slot: TarSlot, received: number): AirlockError {
  const got = received > slot.size ? `more than ${slot.size}` : `${received}`;
  return new AirlockError(
    "ERR_SIZE_MISMATCH",
    `tar entry ${slot.name}: received ${got} bytes, expected ${slot.size}`,
  );
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function isAbort(err: unknown): boolean {
  return isAirlockError(err) && err.code === "ERR_ABORTED";
}
