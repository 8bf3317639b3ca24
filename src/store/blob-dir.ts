import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AirlockError, messageOf } from "../errors.js";
import { parseDigest } from "../oci/digest.js";
import type { Descriptor } from "../oci/types.js";
import { writeAllAt } from "../stream/file-range-writer.js";
import type { PositionalWrite } from "../stream/gathered-writes.js";
import type { FileRange } from "../stream/range-workers.js";
import { VerifyStream } from "../stream/verify-stream.js";
import type { BlobStore } from "./types.js";

const READ_CHUNK = 256 * 1024;

/** `$XDG_CACHE_HOME/airlock`, else `~/.cache/airlock`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== ""
      ? env.XDG_CACHE_HOME
      : join(homedir(), ".cache");
  return join(base, "airlock");
}

/** A blob's file under a temporary name, written by position until committed. */
export interface PartialBlob {
  write: PositionalWrite;
  /** Renames it under the blob's digest. */
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Blobs in a directory as an OCI layout keeps them (`blobs/sha256/<hex>`):
 * the create-bundle cache, and the blob half of an OCI layout directory.
 * Writes go to a temporary name and are renamed once verified.
 */
export class BlobDir implements BlobStore {
  readonly root: string;
  #dirs: Promise<void> | undefined;

  constructor(root: string) {
    this.root = root;
  }

  /** Creates blobs/sha256/ and tmp/ once per instance. */
  #ensureDirs(): Promise<void> {
    this.#dirs ??= (async () => {
      await mkdir(join(this.root, "tmp"), { recursive: true });
      await mkdir(join(this.root, "blobs", "sha256"), { recursive: true });
    })();
    return this.#dirs;
  }

  /** Where a blob lives (whether or not it is there). */
  path(digest: string): string {
    return join(this.root, "blobs", "sha256", parseDigest(digest).hex);
  }

  async has(descriptor: Pick<Descriptor, "digest" | "size">): Promise<boolean> {
    try {
      return (await stat(this.path(descriptor.digest))).size === descriptor.size;
    } catch {
      return false;
    }
  }

  /** The blob's file when it is there with the right size (its content checked by whoever reads it). */
  async blobRange(descriptor: Pick<Descriptor, "digest" | "size">): Promise<FileRange | undefined> {
    return (await this.has(descriptor))
      ? { file: this.path(descriptor.digest), offset: 0, whole: true }
      : undefined;
  }

  async fetch(descriptor: Pick<Descriptor, "digest" | "size">): Promise<Readable> {
    const path = this.path(descriptor.digest);
    // Small blobs get small buffers: a 1 MiB buffer per config file would keep the GC busy.
    const highWaterMark = Math.max(16 * 1024, Math.min(descriptor.size, READ_CHUNK));
    const source = createReadStream(path, { highWaterMark });
    await new Promise<void>((resolve, reject) => {
      source.once("open", () => resolve());
      source.once("error", (err) =>
        reject(
          new AirlockError(
            "ERR_NOT_FOUND",
            `blob ${descriptor.digest} is not in ${this.root}: ${messageOf(err)}`,
          ),
        ),
      );
    });
    const verify = new VerifyStream({ ...descriptor, what: `blob ${descriptor.digest} in ${this.root}` });
    source.pipe(verify);
    source.once("error", (err) => verify.destroy(err));
    return verify;
  }

  /**
   * A blob's file being written by position, under a temporary name until
   * `commit` renames it into place: for a caller that checks the bytes
   * itself (a verified download). `abort` removes it.
   */
  async begin(descriptor: Pick<Descriptor, "digest" | "size">): Promise<PartialBlob> {
    await this.#ensureDirs();
    const target = this.path(descriptor.digest);
    const tmp = join(
      this.root,
      "tmp",
      `${parseDigest(descriptor.digest).hex}.${randomBytes(6).toString("hex")}.partial`,
    );
    const handle = await open(tmp, "wx");
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await handle.close();
    };
    return {
      write: async (data, at) => {
        await writeAllAt(handle, [data], at);
      },
      commit: async () => {
        await close();
        await rename(tmp, target);
      },
      abort: async () => {
        await close().catch(() => undefined);
        await rm(tmp, { force: true });
      },
    };
  }

  /**
   * Stores a small blob held in memory (a manifest, a config), checked against its digest, in
   * one write under a temporary name and a rename: none of a stream's machinery, which costs
   * more than the write itself for a file of a few hundred bytes (lock keeps two per image).
   */
  async putBytes(descriptor: Pick<Descriptor, "digest" | "size">, bytes: Buffer): Promise<void> {
    const { hex } = parseDigest(descriptor.digest);
    const actual = createHash("sha256").update(bytes).digest("hex");
    if (bytes.length !== descriptor.size || actual !== hex) {
      throw new AirlockError(
        "ERR_DIGEST_MISMATCH",
        `blob ${descriptor.digest}: ${bytes.length} bytes with digest sha256:${actual}, expected ${descriptor.size} bytes`,
      );
    }
    await this.#ensureDirs();
    const tmp = join(this.root, "tmp", `${hex}.${randomBytes(6).toString("hex")}.partial`);
    try {
      await writeFile(tmp, bytes, { flag: "wx" });
      await rename(tmp, this.path(descriptor.digest));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /**
   * Stores a blob atomically. The bytes are verified on the way in, unless
   * `verified` says the stream already fails on a size or digest mismatch
   * (a registry download does): then it is not hashed twice, and a failure
   * still leaves nothing under the digest's name.
   */
  async put(
    descriptor: Pick<Descriptor, "digest" | "size">,
    content: Readable,
    options: { signal?: AbortSignal; verified?: boolean } = {},
  ): Promise<void> {
    const target = this.path(descriptor.digest);
    const tmpDir = join(this.root, "tmp");
    await this.#ensureDirs();
    const tmp = join(
      tmpDir,
      `${parseDigest(descriptor.digest).hex}.${randomBytes(6).toString("hex")}.partial`,
    );
    try {
      const out = createWriteStream(tmp, { highWaterMark: READ_CHUNK });
      if (options.verified === true) await pipeline(content, out, { signal: options.signal });
      else {
        const verify = new VerifyStream({ ...descriptor, what: `blob ${descriptor.digest}` });
        await pipeline(content, verify, out, { signal: options.signal });
      }
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}
