import { connectRegistry, type RegistryOptions } from "../registry/connect.js";
import type { RegistryClient } from "../registry/client.js";

/** Options every remote verb takes: how to reach the registry, plus cancellation. */
export interface RemoteOptions extends RegistryOptions {
  signal?: AbortSignal;
}

/** Options of verbs that can pick one platform out of a multi-platform image. */
export interface PlatformOptions extends RemoteOptions {
  /** "os/arch[/variant]", e.g. "linux/arm64". */
  platform?: string;
}

/** Runs `fn` with a client for `registry`, closing its connections afterwards. */
export async function withClient<T>(
  registry: string,
  options: RemoteOptions,
  fn: (client: RegistryClient) => Promise<T>,
): Promise<T> {
  const client = await connectRegistry(registry, options);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
