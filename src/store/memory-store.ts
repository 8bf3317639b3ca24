import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Writable } from "node:stream";
import { AirlockError } from "../errors.js";
import { isValidDigest } from "../oci/digest.js";
import type { Descriptor } from "../oci/types.js";
import { VerifyStream } from "../stream/verify-stream.js";
import type { ImageStore, OpenBlob, StoreCallOptions, TargetCapabilities } from "./image-store.js";
import { checkSmall } from "./read-all.js";

/**
 * Images in memory, for tests and small tools: every blob is verified as it
 * goes in and comes out. Holds whole blobs, so keep them small.
 */
export class MemoryStore implements ImageStore {
  readonly name: string;
  readonly capabilities: TargetCapabilities = { keepsManifests: true, holdsIndexes: true };
  readonly blobs = new Map<string, Buffer>();
  readonly tags = new Map<string, Descriptor>();
  /** What `tag()` without a ref writes, and `resolve()` without one reads. */
  reference: string | undefined;

  constructor(name = "memory:", reference?: string) {
    this.name = name;
    this.reference = reference;
  }

  resolve(ref?: string): Promise<Descriptor> {
    const target = ref ?? this.reference ?? (this.tags.size === 1 ? [...this.tags.keys()][0] : undefined);
    const found = target === undefined ? undefined : this.tags.get(target);
    if (found !== undefined) return Promise.resolve(found);
    return Promise.reject(
      new AirlockError("ERR_NOT_FOUND", `${this.name}: no image named "${target ?? ""}"`),
    );
  }

  async manifestGet(descriptor: Descriptor): Promise<Buffer> {
    checkSmall(descriptor.size, `manifest ${descriptor.digest}`);
    const chunks: Buffer[] = [];
    for await (const chunk of await this.blobGet(descriptor)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  blobGet(descriptor: Pick<Descriptor, "digest" | "size">): Promise<Readable> {
    const bytes = this.blobs.get(descriptor.digest);
    if (bytes === undefined) {
      return Promise.reject(new AirlockError("ERR_NOT_FOUND", `${this.name}: no blob ${descriptor.digest}`));
    }
    const verify = new VerifyStream({ ...descriptor, what: `${this.name}: blob ${descriptor.digest}` });
    return Promise.resolve(Readable.from([bytes]).pipe(verify));
  }

  tagList(): Promise<string[]> {
    return Promise.resolve([...this.tags.keys()].sort());
  }

  blobHas(descriptor: Descriptor): Promise<boolean> {
    return Promise.resolve(this.blobs.get(descriptor.digest)?.length === descriptor.size);
  }

  async blobPut(descriptor: Descriptor, open: OpenBlob, options: StoreCallOptions = {}): Promise<void> {
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        chunks.push(chunk);
        cb();
      },
    });
    const verify = new VerifyStream({ ...descriptor, what: `blob ${descriptor.digest}` });
    await pipeline(await open(), verify, sink, { signal: options.signal });
    this.blobs.set(descriptor.digest, Buffer.concat(chunks));
  }

  async manifestPut(descriptor: Descriptor, bytes: Buffer): Promise<void> {
    await this.blobPut(descriptor, () => Promise.resolve(Readable.from([bytes])));
  }

  tag(descriptor: Descriptor, ref?: string): Promise<void> {
    const name = ref ?? this.reference;
    if (name !== undefined && !isValidDigest(name)) this.tags.set(name, descriptor);
    return Promise.resolve();
  }

  commit(): Promise<void> {
    return Promise.resolve();
  }

  abort(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
