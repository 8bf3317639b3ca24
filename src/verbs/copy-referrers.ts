/**
 * `copy --referrers` and `sync --referrers`: what is attached to the copied manifests in the
 * source registry (cosign's tags, OCI 1.1 referrers, to the lock's depth), found by the code the
 * lock uses, then copied after them on the same engine (store/copy-attached.ts).
 */
import { AirlockError } from "../errors.js";
import type { AttachedPolicy } from "../imagelist/types.js";
import type { Descriptor, ImageConfig } from "../oci/types.js";
import { attachedOf } from "../plan/resolve-attached.js";
import type { ResolvedBytes, Resolver } from "../plan/resolver.js";
import type { RegistryClient } from "../registry/client.js";
import { copyAttached, type AttachedOutcome } from "../store/copy-attached.js";
import type { CopySession } from "../store/copy-session.js";
import type { ImageSource, ImageTarget } from "../store/image-store.js";
import { RegistryStore } from "../store/registry-store.js";

export interface CopyReferrersOptions {
  /** Which attached content; default: whatever is attached. */
  policy?: AttachedPolicy;
  session?: CopySession;
  signal?: AbortSignal;
}

/** Refuses `--referrers` unless both sides are registries, before anything is copied. */
export function checkReferrersEndpoints(source: ImageSource, target: ImageTarget): void {
  if (source instanceof RegistryStore && target instanceof RegistryStore) return;
  throw new AirlockError(
    "ERR_USAGE",
    `--referrers copies between registries; ${source.name} to ${target.name} is not: drop --referrers, or carry attached content in a bundle (create-bundle, push-bundle)`,
  );
}

/** Copies what the source registry has attached to `subjects` (digests just copied) into the target. */
export async function copyReferrers(
  source: ImageSource,
  target: ImageTarget,
  subjects: string[],
  options: CopyReferrersOptions = {},
): Promise<AttachedOutcome[]> {
  checkReferrersEndpoints(source, target);
  const from = source as RegistryStore;
  const where = { registry: from.client.registry, repository: from.repository, attached: options.policy };
  const found = await attachedOf(where, subjects, new ClientResolver(from.client, options.signal));
  const items = found.map((a) => ({
    kind: a.kind,
    subject: a.subject,
    ...(a.tag !== undefined ? { tag: a.tag } : {}),
    descriptor: { mediaType: a.mediaType, digest: a.digest, size: a.size },
  }));
  return await copyAttached(items, source, target, {
    ...(options.session !== undefined ? { session: options.session } : {}),
    signal: options.signal,
    existingTag: "overwrite",
  });
}

/** The lookups of resolve-attached.ts over one registry client (the source's). */
class ClientResolver implements Resolver {
  readonly #client: RegistryClient;
  readonly #signal: AbortSignal | undefined;

  constructor(client: RegistryClient, signal: AbortSignal | undefined) {
    this.#client = client;
    this.#signal = signal;
  }

  async manifest(_registry: string, repository: string, reference: string): Promise<ResolvedBytes> {
    return await this.#client.manifestGet(repository, reference, { signal: this.#signal });
  }

  async manifestIfTagged(
    _registry: string,
    repository: string,
    tag: string,
  ): Promise<ResolvedBytes | undefined> {
    return await this.#client.manifestFind(repository, tag, { signal: this.#signal });
  }

  async referrers(
    _registry: string,
    repository: string,
    digest: string,
    artifactType?: string,
  ): Promise<Descriptor[]> {
    const type = artifactType !== undefined ? { artifactType } : {};
    return await this.#client.referrers(repository, digest, { signal: this.#signal, ...type });
  }

  async tags(_registry: string, repository: string): Promise<string[]> {
    return await this.#client.tagList(repository, { signal: this.#signal });
  }

  async config(
    _registry: string,
    repository: string,
    d: { digest: string; size: number },
  ): Promise<ImageConfig> {
    const bytes = await this.#client.blobGetBytes(repository, d, { signal: this.#signal });
    return JSON.parse(bytes.toString("utf8")) as ImageConfig;
  }
}
