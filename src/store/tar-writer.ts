/**
 * Writes an archive as a stream of tar entries into `.NAME.<random>.tmp`
 * beside the target, renamed over it on `commit`: a failed or interrupted
 * write leaves no file under the final name. Entries are written one at a
 * time, in the order asked for; each file is verified as it goes in.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pack, type Pack } from "tar-stream";
import { AirlockError, messageOf } from "../errors.js";
import { VerifyStream } from "../stream/verify-stream.js";

const MTIME = new Date(0);

export class TarWriter {
  readonly file: string;
  readonly #temp: string;
  readonly #pack: Pack = pack();
  readonly #done: Promise<void>;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(file: string) {
    this.file = file;
    this.#temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
    this.#done = pipeline(this.#pack, createWriteStream(this.#temp, { flags: "wx" }));
    this.#done.catch(() => undefined);
  }

  /** Starts writing `file`'s temporary twin. @throws AirlockError ERR_FILE when its directory is missing. */
  static async create(file: string): Promise<TarWriter> {
    const dir = dirname(file);
    const info = await stat(dir).catch(() => undefined);
    if (info === undefined || !info.isDirectory()) {
      throw new AirlockError("ERR_FILE", `cannot write ${file}: directory ${dir} does not exist`);
    }
    if ((await stat(file).catch(() => undefined))?.isDirectory() === true) {
      throw new AirlockError("ERR_FILE", `cannot write ${file}: it is a directory`);
    }
    await mkdir(dir, { recursive: true });
    return new TarWriter(file);
  }

  /** Adds a directory entry. */
  directory(name: string): Promise<void> {
    return this.#enqueue(async () => {
      await new Promise<void>((resolve, reject) =>
        this.#pack.entry({ name, type: "directory", mode: 0o755, mtime: MTIME }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    });
  }

  /** Adds a small file from memory. */
  bytes(name: string, data: Buffer): Promise<void> {
    return this.#enqueue(async () => {
      await new Promise<void>((resolve, reject) =>
        this.#pack.entry({ name, size: data.length, mode: 0o644, mtime: MTIME }, data, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    });
  }

  /** Adds a file streamed from `open()`, which must give exactly `digest`/`size`. */
  stream(
    name: string,
    expected: { digest: string; size: number },
    open: () => Promise<Readable>,
  ): Promise<void> {
    return this.#enqueue(async () => {
      const source = await open();
      const verify = new VerifyStream({ ...expected, what: `${name} in ${this.file}` });
      const entry = this.#pack.entry({ name, size: expected.size, mode: 0o644, mtime: MTIME });
      await pipeline(source, verify, entry);
    });
  }

  /** Finishes the tar and renames it into place. */
  async commit(): Promise<void> {
    await this.#queue;
    this.#closed = true;
    this.#pack.finalize();
    try {
      await this.#done;
      await rename(this.#temp, this.file);
    } catch (err) {
      await this.abort();
      throw new AirlockError("ERR_FILE", `cannot write ${this.file}: ${messageOf(err)}`, { cause: err });
    }
  }

  /** Stops writing and removes the temporary file. */
  async abort(): Promise<void> {
    this.#closed = true;
    this.#pack.destroy();
    await this.#done.catch(() => undefined);
    await rm(this.#temp, { force: true });
  }

  #enqueue(job: () => Promise<void>): Promise<void> {
    if (this.#closed) return Promise.reject(new AirlockError("ERR_FILE", `${this.file} is already closed`));
    const run = this.#queue.then(job);
    // A failed entry leaves the tar broken: every later entry fails too.
    this.#queue = run.then(
      () => undefined,
      (err: unknown) => {
        this.#closed = true;
        throw err;
      },
    );
    this.#queue.catch(() => undefined);
    return run;
  }
}
