/**
 * skopeo's `dir:DIR` format: manifest.json (the top manifest, bytes kept),
 * `<hex>.manifest.json` for the images of an index, every other blob as a
 * file named by its hex digest, and a `version` file.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AirlockError, messageOf } from "../errors.js";
import { parseDigest, sha256Digest } from "../oci/digest.js";
import { parseManifest } from "../oci/manifest.js";
import type { Descriptor } from "../oci/types.js";
import { VerifyStream } from "../stream/verify-stream.js";
import type {
  ImageSource,
  ImageTarget,
  OpenBlob,
  StoreCallOptions,
  TargetCapabilities,
} from "./image-store.js";
import { readAllCapped } from "./read-all.js";

const VERSION = "Directory Transport Version: 1.1\n";

/** Reads a `dir:` image. */
export class DirSource implements ImageSource {
  readonly root: string;
  #top: { descriptor: Descriptor; bytes: Buffer } | undefined;

  constructor(root: string) {
    this.root = root;
  }

  get name(): string {
    return `dir:${this.root}`;
  }

  async resolve(): Promise<Descriptor> {
    const bytes = await readFile(join(this.root, "manifest.json")).catch((err: unknown) => {
      throw new AirlockError("ERR_FILE", `${this.name}: cannot read manifest.json: ${messageOf(err)}`, {
        cause: err,
      });
    });
    const parsed = parseManifest(bytes, undefined, `${this.name}/manifest.json`);
    const descriptor = { mediaType: parsed.mediaType, digest: sha256Digest(bytes), size: bytes.length };
    this.#top = { descriptor, bytes };
    return descriptor;
  }

  async manifestGet(descriptor: Descriptor): Promise<Buffer> {
    if (this.#top?.descriptor.digest === descriptor.digest) return this.#top.bytes;
    const file = join(this.root, `${parseDigest(descriptor.digest).hex}.manifest.json`);
    return await readAllCapped(await this.#open(file, descriptor), `manifest ${descriptor.digest}`);
  }

  async blobGet(descriptor: Pick<Descriptor, "digest" | "size">): Promise<Readable> {
    const hex = parseDigest(descriptor.digest).hex;
    const plain = join(this.root, hex);
    const file = (await stat(plain).catch(() => undefined)) ? plain : `${plain}.tar`;
    return await this.#open(file, descriptor);
  }

  tagList(): Promise<string[]> {
    return Promise.resolve([]);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  async #open(file: string, descriptor: Pick<Descriptor, "digest" | "size">): Promise<Readable> {
    const source = createReadStream(file, { highWaterMark: 1 << 20 });
    await new Promise<void>((resolve, reject) => {
      source.once("open", () => resolve());
      source.once("error", (err) =>
        reject(
          new AirlockError("ERR_NOT_FOUND", `${this.name} lacks ${descriptor.digest}: ${messageOf(err)}`),
        ),
      );
    });
    const verify = new VerifyStream({ ...descriptor, what: `${this.name}: ${descriptor.digest}` });
    source.once("error", (err) => verify.destroy(err));
    return source.pipe(verify);
  }
}

/** Writes a `dir:` image into a temporary sibling directory, swapped into place on commit. */
export class DirTarget implements ImageTarget {
  readonly root: string;
  readonly capabilities: TargetCapabilities = { keepsManifests: true, holdsIndexes: true };
  readonly #stage: string;
  readonly #written = new Set<string>();
  readonly #manifests = new Map<string, Buffer>();
  #top: string | undefined;

  private constructor(root: string) {
    this.root = root;
    this.#stage = join(dirname(root), `.${basename(root)}.${randomBytes(6).toString("hex")}.tmp`);
  }

  get name(): string {
    return `dir:${this.root}`;
  }

  /** @throws AirlockError ERR_FILE when DIR holds something other than a dir: image. */
  static async create(root: string): Promise<DirTarget> {
    const entries = await readdir(root).catch(() => undefined);
    if (entries !== undefined && entries.length > 0 && !entries.includes("version")) {
      throw new AirlockError(
        "ERR_FILE",
        `dir:${root}: ${root} is not empty and not a dir: image; refusing to replace it`,
      );
    }
    const target = new DirTarget(root);
    await mkdir(target.#stage, { recursive: true }).catch((err: unknown) => {
      throw new AirlockError("ERR_FILE", `dir:${root}: cannot create ${target.#stage}: ${messageOf(err)}`);
    });
    await writeFile(join(target.#stage, "version"), VERSION);
    return target;
  }

  blobHas(descriptor: Descriptor): Promise<boolean> {
    return Promise.resolve(this.#written.has(descriptor.digest));
  }

  async blobPut(descriptor: Descriptor, open: OpenBlob, options: StoreCallOptions = {}): Promise<void> {
    if (this.#written.has(descriptor.digest)) return;
    this.#written.add(descriptor.digest);
    const file = join(this.#stage, parseDigest(descriptor.digest).hex);
    const verify = new VerifyStream({ ...descriptor, what: `${this.name}: ${descriptor.digest}` });
    await pipeline(await open(), verify, createWriteStream(file), { signal: options.signal });
  }

  manifestPut(descriptor: Descriptor, bytes: Buffer): Promise<void> {
    this.#manifests.set(descriptor.digest, bytes);
    return Promise.resolve();
  }

  tag(descriptor: Descriptor): Promise<void> {
    this.#top = descriptor.digest;
    return Promise.resolve();
  }

  async commit(): Promise<void> {
    for (const [digest, bytes] of this.#manifests) {
      const name = digest === this.#top ? "manifest.json" : `${parseDigest(digest).hex}.manifest.json`;
      await writeFile(join(this.#stage, name), bytes);
    }
    const old = `${this.#stage}.old`;
    const existed = await rename(this.root, old).then(
      () => true,
      () => false,
    );
    await rename(this.#stage, this.root);
    if (existed) await rm(old, { recursive: true, force: true });
  }

  async abort(): Promise<void> {
    await rm(this.#stage, { recursive: true, force: true });
  }
}
