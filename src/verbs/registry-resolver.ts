import { AirlockError } from "../errors.js";
import type { ImageConfig } from "../oci/types.js";
import type { Resolver, ResolvedBytes } from "../plan/resolver.js";
import type { ClientPool } from "./client-pool.js";

/** The planner's Resolver over real registries. Manifests fetched by digest are cached. */
export class RegistryResolver implements Resolver {
  readonly #pool: ClientPool;
  readonly #byDigest = new Map<string, Promise<ResolvedBytes>>();

  constructor(pool: ClientPool) {
    this.#pool = pool;
  }

  async manifest(registry: string, repository: string, reference: string): Promise<ResolvedBytes> {
    const fetch = async (): Promise<ResolvedBytes> =>
      (await this.#pool.get(registry)).manifestGet(repository, reference, { signal: this.#pool.signal });
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
    try {
      return JSON.parse(bytes.toString("utf8")) as ImageConfig;
    } catch (err) {
      throw new AirlockError("ERR_MANIFEST_INVALID", `config ${descriptor.digest} is not valid JSON`, {
        cause: err,
      });
    }
  }
}
