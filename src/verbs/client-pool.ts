import type { RegistrySettings } from "../imagelist/types.js";
import type { RegistryClient } from "../registry/client.js";
import type { RemoteOptions } from "./options.js";
import { AirlockError } from "../errors.js";

/**
 * One registry client per host, built from the image list's per-registry
 * settings (TLS, credentials by env var, mirror) on top of the command line's
 * options, shared by everything one command does.
 */
export class ClientPool {
  readonly #base: RemoteOptions;
  readonly #settings: Record<string, RegistrySettings>;
  readonly #clients = new Map<string, Promise<RegistryClient>>();

  constructor(base: RemoteOptions, settings: Record<string, RegistrySettings> = {}) {
    this.#base = base;
    this.#settings = settings;
  }

  get signal(): AbortSignal | undefined {
    return this.#base.signal;
  }

  /** The client for a registry as references name it (a mirror, if configured, answers instead). */
  get(registry: string): Promise<RegistryClient> {
    let client = this.#clients.get(registry);
    if (client === undefined) {
      const settings = this.#settings[registry] ?? {};
      const connect = async (): Promise<RegistryClient> => {
        // Loaded on first use: a create-bundle whose blobs are all cached never needs undici.
        const { connectRegistry } = await import("../registry/connect.js");
        return await connectRegistry(settings.mirror ?? registry, optionsFor(registry, settings, this.#base));
      };
      client = connect();
      this.#clients.set(registry, client);
    }
    return client;
  }

  /** Closes every client's connections. */
  async close(): Promise<void> {
    const clients = await Promise.allSettled([...this.#clients.values()]);
    const open = clients.flatMap((c) => (c.status === "fulfilled" ? [c.value] : []));
    await Promise.all(open.map((c) => c.close()));
  }
}

/** The command line's options with one registry's settings from the image list on top. */
export function optionsFor(registry: string, settings: RegistrySettings, base: RemoteOptions): RemoteOptions {
  const options: RemoteOptions = { ...base };
  if (settings.insecure !== undefined) options.insecure = settings.insecure;
  if (settings.plainHttp !== undefined) options.plainHttp = settings.plainHttp;
  if (settings.caFile !== undefined) options.caFiles = [...(base.caFiles ?? []), settings.caFile];
  if (settings.authFile !== undefined) options.authFile = settings.authFile;
  if (settings.proxy !== undefined) options.proxy = settings.proxy;
  if (settings.timeoutMs !== undefined) options.timeoutMs = settings.timeoutMs;
  if (settings.retryForMs !== undefined) options.retryForMs = settings.retryForMs;
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
