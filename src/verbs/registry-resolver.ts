import { AirlockError } from "../errors.js";
import type { Descriptor, ImageConfig } from "../oci/types.js";
import type { Resolver, ResolvedBytes } from "../plan/resolver.js";
import type { BlobDir } from "../store/blob-dir.js";
import type { ClientPool } from "./client-pool.js";

/** The planner's Resolver over real registries. Manifests fetched by digest are cached. */
export class RegistryResolver implements Resolver {
  readonly #pool: ClientPool;
  readonly #cache: BlobDir | undefined;
  readonly #byDigest = new Map<string, Promise<ResolvedBytes>>();

  /** With `cache`, every manifest and config fetched (verified) is kept there for create-bundle. */
  constructor(pool: ClientPool, cache?: BlobDir) {
    this.#pool = pool;
    this.#cache = cache;
  }

  async manifest(registry: string, repository: string, reference: string): Promise<ResolvedBytes> {
    const fetch = async (): Promise<ResolvedBytes> => {
      const client = await this.#pool.get(registry);
      const fetched = await client.manifestGet(repository, reference, { signal: this.#pool.signal });
      await this.#keep(fetched.digest, fetched.bytes);
      return fetched;
    };
    if (!reference.startsWith("sha256:")) return await fetch();
    const key = `${registry}/${repository}@${reference}`;
    let pending = this.#byDigest.get(key);
    if (pending === undefined) {
      pending = fetch();
      this.#byDigest.set(key, pending);
      pending.catch(() => this.#byDigest.delete(key));
    }
    return await pending;
  }

  /** Puts verified bytes in the cache unless already there; a cache that cannot be written is no error. */
  async #keep(digest: string, bytes: Buffer): Promise<void> {
    const cache = this.#cache;
    const blob = { digest, size: bytes.length };
    if (cache === undefined || (await cache.has(blob))) return;
    await cache.putBytes(blob, bytes).catch(() => undefined);
  }

  async referrers(
    registry: string,
    repository: string,
    digest: string,
    artifactType?: string,
  ): Promise<Descriptor[]> {
    const client = await this.#pool.get(registry);
    return await client.referrers(repository, digest, {
      signal: this.#pool.signal,
      ...(artifactType !== undefined ? { artifactType } : {}),
    });
  }

  async manifestIfTagged(
    registry: string,
    repository: string,
    tag: string,
  ): Promise<ResolvedBytes | undefined> {
    const client = await this.#pool.get(registry);
    const fetched = await client.manifestFind(repository, tag, { signal: this.#pool.signal });
    if (fetched !== undefined) await this.#keep(fetched.digest, fetched.bytes);
    return fetched;
  }

  async tags(registry: string, repository: string): Promise<string[]> {
    return await (await this.#pool.get(registry)).tagList(repository, { signal: this.#pool.signal });
  }

  async config(
    registry: string,
    repository: string,
    descriptor: { digest: string; size: number },
  ): Promise<ImageConfig> {
    const client = await this.#pool.get(registry);
    const bytes = await client.blobGetBytes(repository, descriptor, { signal: this.#pool.signal });
    await this.#keep(descriptor.digest, bytes);
    try {
      return JSON.parse(bytes.toString("utf8")) as ImageConfig;
    } catch (err) {
      throw new AirlockError("ERR_MANIFEST_INVALID", `config ${descriptor.digest} is not valid JSON`, {
        cause: err,
      });
    }
  }
}
