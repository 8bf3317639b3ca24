import { AirlockError } from "../errors.js";
import type { RegistrySettings } from "../imagelist/types.js";
import type { ImageConfig } from "../oci/types.js";
import type { Resolver, ResolvedBytes } from "../plan/resolver.js";
import type { RegistryClient } from "../registry/client.js";
import { connectRegistry } from "../registry/connect.js";
import type { RemoteOptions } from "./options.js";

/**
 * The planner's Resolver over real registries: one client per host, built
 * from the image list's per-registry settings (TLS, credentials, mirror) on
 * top of the command line's options. Manifests fetched by digest are cached.
 */
export class RegistryResolver implements Resolver {
  readonly #base: RemoteOptions;
  readonly #settings: Record<string, RegistrySettings>;
  readonly #clients = new Map<string, Promise<RegistryClient>>();
  readonly #byDigest = new Map<string, Promise<ResolvedBytes>>();

  constructor(base: RemoteOptions, settings: Record<string, RegistrySettings> = {}) {
    this.#base = base;
    this.#settings = settings;
  }

  async manifest(registry: string, repository: string, reference: string): Promise<ResolvedBytes> {
    const fetch = async (): Promise<ResolvedBytes> =>
      (await this.#client(registry)).manifestGet(repository, reference, { signal: this.#base.signal });
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
    return await (await this.#client(registry)).tagList(repository, { signal: this.#base.signal });
  }

  async config(
    registry: string,
    repository: string,
    descriptor: { digest: string; size: number },
  ): Promise<ImageConfig> {
    const bytes = await (
      await this.#client(registry)
    ).blobGetBytes(repository, descriptor, {
      signal: this.#base.signal,
    });
    try {
      return JSON.parse(bytes.toString("utf8")) as ImageConfig;
    } catch (err) {
      throw new AirlockError("ERR_MANIFEST_INVALID", `config ${descriptor.digest} is not valid JSON`, {
        cause: err,
      });
    }
  }

  /** Closes every client's connections. */
  async close(): Promise<void> {
    const clients = await Promise.allSettled([...this.#clients.values()]);
    const open = clients.flatMap((c) => (c.status === "fulfilled" ? [c.value] : []));
    await Promise.all(open.map((c) => c.close()));
  }

  #client(registry: string): Promise<RegistryClient> {
    let client = this.#clients.get(registry);
    if (client === undefined) {
      const settings = this.#settings[registry] ?? {};
      client = connectRegistry(settings.mirror ?? registry, optionsFor(registry, settings, this.#base));
      this.#clients.set(registry, client);
    }
    return client;
  }
}

/** The command line's options with one registry's settings from the image list on top. */
export function optionsFor(registry: string, settings: RegistrySettings, base: RemoteOptions): RemoteOptions {
  const options: RemoteOptions = { ...base };
  if (settings.insecure !== undefined) options.insecure = settings.insecure;
  if (settings.plainHttp !== undefined) options.plainHttp = settings.plainHttp;
  if (settings.caFile !== undefined) options.caFiles = [...(base.caFiles ?? []), settings.caFile];
  if (settings.authFile !== undefined) options.authFile = settings.authFile;
  if (settings.usernameEnv !== undefined || settings.passwordEnv !== undefined) {
    options.credential = credentialFromEnv(registry, settings, base.env ?? process.env);
  }
  return options;
}

function credentialFromEnv(
  registry: string,
  settings: RegistrySettings,
  env: NodeJS.ProcessEnv,
): { username: string; password: string } {
  const read = (name: string | undefined, what: string): string => {
    const value = name === undefined ? undefined : env[name];
    if (value === undefined || value === "") {
      throw new AirlockError(
        "ERR_CREDENTIALS",
        `registries.${registry}.credentials.${what}: environment variable ${name ?? "(not named)"} is not set`,
      );
    }
    return value;
  };
  return {
    username: read(settings.usernameEnv, "usernameEnv"),
    password: read(settings.passwordEnv, "passwordEnv"),
  };
}
