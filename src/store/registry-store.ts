import type { Readable } from "node:stream";
import { AirlockError } from "../errors.js";
import { isValidDigest } from "../oci/digest.js";
import type { Descriptor } from "../oci/types.js";
import type { RegistryClient } from "../registry/client.js";
import { addToReferrersTag, hasReferrersApi } from "../registry/referrers-tag.js";
import type {
  BlobEnsureOptions,
  ImageSource,
  ImageStore,
  MountScope,
  OpenBlob,
  StoreCallOptions,
  TargetCapabilities,
} from "./image-store.js";

/**
 * One repository of a registry as an image store. Blobs stream straight
 * from one registry to another (never to disk); a blob from another
 * repository of the same registry is mounted instead of uploaded.
 */
export class RegistryStore implements ImageStore {
  readonly client: RegistryClient;
  readonly repository: string;
  /** The tag or digest the location named; what `tag()` without a ref writes. */
  readonly reference: string | undefined;
  readonly capabilities: TargetCapabilities = { keepsManifests: true, holdsIndexes: true };
  readonly #owned: boolean;
  readonly #pushed = new Map<string, Buffer>();

  constructor(
    client: RegistryClient,
    repository: string,
    options: { reference?: string; owned?: boolean } = {},
  ) {
    this.client = client;
    this.repository = repository;
    this.reference = options.reference;
    this.#owned = options.owned ?? false;
  }

  get name(): string {
    return `docker://${this.client.registry}/${this.repository}`;
  }

  get mountScope(): MountScope {
    return { registry: this.client.registry, repository: this.repository };
  }

  async manifestHead(ref: string, options: StoreCallOptions = {}): Promise<Descriptor | undefined> {
    return await this.client.manifestHead(this.repository, ref, options);
  }

  async blobMount(
    descriptor: Descriptor,
    fromRepository: string,
    options: StoreCallOptions = {},
  ): Promise<boolean> {
    return await this.client.blobMount(this.repository, descriptor.digest, fromRepository, options);
  }

  /** HEAD (with push scope), then upload unless present; progress as increments. */
  async blobEnsure(
    descriptor: Descriptor,
    open: OpenBlob,
    options: BlobEnsureOptions = {},
  ): Promise<"stored" | "exists"> {
    let sent = 0;
    const { onBytes, ...rest } = options;
    const result = await this.client.blobUpload(this.repository, descriptor, open, {
      ...rest,
      onProgress: (bytes) => {
        onBytes?.(bytes - sent);
        sent = bytes;
      },
    });
    return result === "exists" ? "exists" : "stored";
  }

  /** The registry lists referrers itself where it has the API; else airlock merges them into the fallback tag. */
  async referrersAdd(
    subject: string,
    referrers: Descriptor[],
    options: StoreCallOptions = {},
  ): Promise<"api" | "listed" | "unchanged"> {
    if (await hasReferrersApi(this.client, this.repository, subject, options)) return "api";
    return await addToReferrersTag(this.client, this.repository, subject, referrers, options);
  }

  async resolve(ref?: string, options: StoreCallOptions = {}): Promise<Descriptor> {
    const target = ref ?? this.reference ?? "latest";
    const found = await this.client.manifestHead(this.repository, target, options);
    if (found === undefined) {
      throw new AirlockError("ERR_NOT_FOUND", `manifest ${this.#ref(target)}: not found`);
    }
    return found;
  }

  async manifestGet(descriptor: Descriptor, options: StoreCallOptions = {}): Promise<Buffer> {
    return (await this.client.manifestGet(this.repository, descriptor.digest, options)).bytes;
  }

  async blobGet(
    descriptor: Pick<Descriptor, "digest" | "size">,
    options: StoreCallOptions = {},
  ): Promise<Readable> {
    return await this.client.blobGet(this.repository, descriptor, options);
  }

  async tagList(options: StoreCallOptions = {}): Promise<string[]> {
    return await this.client.tagList(this.repository, options);
  }

  async blobHas(descriptor: Descriptor, options: StoreCallOptions = {}): Promise<boolean> {
    return (await this.client.blobHead(this.repository, descriptor.digest, options)) === descriptor.size;
  }

  async blobPut(
    descriptor: Descriptor,
    open: OpenBlob,
    options: StoreCallOptions & { from?: ImageSource } = {},
  ): Promise<void> {
    // Within one registry, what the source repository holds is mounted, not sent again.
    const from = options.from?.mountScope;
    if (
      from !== undefined &&
      from.registry === this.client.registry &&
      from.repository !== this.repository &&
      (await this.blobMount(descriptor, from.repository, options))
    ) {
      return;
    }
    await this.client.blobUpload(this.repository, descriptor, open, { signal: options.signal });
  }

  async manifestPut(descriptor: Descriptor, bytes: Buffer, options: StoreCallOptions = {}): Promise<void> {
    await this.client.manifestPut(this.repository, descriptor.digest, bytes, descriptor.mediaType, options);
    this.#pushed.set(descriptor.digest, bytes);
  }

  async tag(descriptor: Descriptor, ref?: string, options: StoreCallOptions = {}): Promise<void> {
    const target = ref ?? this.reference;
    if (target === undefined || isValidDigest(target)) {
      if (target !== undefined && target !== descriptor.digest) {
        throw new AirlockError(
          "ERR_DIGEST_MISMATCH",
          `${this.#ref(target)}: the copied manifest has digest ${descriptor.digest}`,
        );
      }
      return;
    }
    const bytes = this.#pushed.get(descriptor.digest) ?? (await this.manifestGet(descriptor, options));
    await this.client.manifestPut(this.repository, target, bytes, descriptor.mediaType, options);
  }

  commit(): Promise<void> {
    return Promise.resolve();
  }

  abort(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.#owned) await this.client.close();
  }

  #ref(target: string): string {
    const sep = isValidDigest(target) ? "@" : ":";
    return `${this.client.registry}/${this.repository}${sep}${target}`;
  }
}
