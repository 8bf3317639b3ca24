import { isLoopbackRegistry, registryApiHost } from "../ref/reference.js";
import { AirlockError } from "../errors.js";
import { RegistryClient } from "./client.js";
import { credentialLookup, type Credential, type CredentialLookup } from "./credentials.js";
import type { NetworkTimeouts } from "./dispatcher.js";
import { fixedProxyConfig, proxyConfigFromEnv, type ProxyConfig } from "./proxy.js";
import type { RetryPolicy } from "./retry.js";
import { loadTlsOptions } from "./tls.js";
import { RegistryTransport, type RetryNotice } from "./transport.js";
import { VERSION } from "../version.js";

/** How to reach and authenticate to one registry. */
export interface RegistryOptions {
  /** Skip TLS certificate verification (still uses TLS unless plainHttp). */
  insecure?: boolean;
  /** Speak plain HTTP. Loopback registries fall back to it automatically. */
  plainHttp?: boolean;
  /** Extra CA certificates (PEM files) to trust. */
  caFiles?: string[];
  /** certs.d roots searched for `<host:port>/*.crt`; defaults to the containers and docker ones. */
  certsDirs?: string[];
  /** The only auth file read (like --authfile); otherwise the usual search order. */
  authFile?: string;
  /** Credentials to use for every repository instead of any auth file (--creds). */
  credential?: Credential;
  /** Environment for auth file lookup; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * A proxy URL (http://[USER:PASS@]HOST:PORT) for every request to this registry, or false for none;
   * without it HTTPS_PROXY, HTTP_PROXY and NO_PROXY (or lowercase) in `env` decide, as for curl.
   */
  proxy?: string | false;
  /** Connect and idle time-out (no bytes for that long), in ms; default 30 s each. */
  timeoutMs?: number;
  /**
   * How long a failing request keeps retrying, in ms, from its first failure
   * (--retry-for); 0 retries nothing; default 5 minutes. Overrides `retry.retryForMs`.
   */
  retryForMs?: number;
  retry?: Partial<RetryPolicy>;
  userAgent?: string;
  /** Called with one line per HTTP exchange (URLs redacted, never credentials). */
  onDebug?: (line: string) => void;
  /** Called on every retry: what, why, the wait, and how long the registry has been unreachable. */
  onRetry?: (notice: RetryNotice) => void;
  /** Called with warnings such as a missing credential helper. */
  onWarning?: (message: string) => void;
}

/** A client for `registry` (host[:port] as in references, e.g. "docker.io", "127.0.0.1:5000"). */
export async function connectRegistry(
  registry: string,
  options: RegistryOptions = {},
): Promise<RegistryClient> {
  const tls = await loadTlsOptions(registry, {
    caFiles: options.caFiles,
    insecure: options.insecure,
    certsDirs: options.certsDirs,
  });
  const scheme = options.plainHttp === true ? "http" : isLoopbackRegistry(registry) ? "auto" : "https";
  const transport = new RegistryTransport({
    registry,
    apiHost: registryApiHost(registry),
    scheme,
    tls,
    proxy: proxyConfigFor(registry, options),
    timeouts: options.timeoutMs === undefined ? undefined : timeoutsOf(options.timeoutMs),
    credential: credentialsFor(registry, options),
    retry: retryPolicyOf(options),
    userAgent: options.userAgent ?? `airlock/${VERSION}`,
    onDebug: options.onDebug,
    onRetry: options.onRetry,
  });
  return new RegistryClient(transport);
}

/** --creds for every repository, else the auth files' entry for each repository (namespace keys first). */
function credentialsFor(registry: string, options: RegistryOptions): CredentialLookup {
  const fixed = options.credential;
  if (fixed !== undefined) return () => Promise.resolve(fixed);
  return credentialLookup(registry, {
    authFile: options.authFile,
    env: options.env,
    onWarning: options.onWarning,
  });
}

function proxyConfigFor(registry: string, options: RegistryOptions): ProxyConfig {
  if (options.proxy !== undefined) return fixedProxyConfig(options.proxy, `proxy setting of ${registry}`);
  return proxyConfigFromEnv(options.env ?? process.env);
}

function timeoutsOf(ms: number): NetworkTimeouts {
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new AirlockError("ERR_USAGE", `a time-out must be a positive number of milliseconds, not ${ms}`);
  }
  return { connectMs: ms, idleMs: ms };
}

function retryPolicyOf(options: RegistryOptions): Partial<RetryPolicy> | undefined {
  const ms = options.retryForMs;
  if (ms === undefined) return options.retry;
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new AirlockError("ERR_USAGE", `a retry budget must be 0 or more milliseconds, not ${ms}`);
  }
  return { ...options.retry, retryForMs: ms };
}
