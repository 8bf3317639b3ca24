/**
 * Credentials from the files users already have (podman/skopeo `auth.json`,
 * docker `config.json`, their credential helpers), and `airlock login`/`logout`.
 */

import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { AirlockError } from "../errors.js";
import {
  credHelperFor,
  deleteLoginEntries,
  findStoredCredential,
  helperServerURL,
  lookupKeys,
  normalizeAuthKey,
  readAuthFile,
  setLoginEntry,
  writeAuthFile,
  type AuthFile,
  type Credential,
} from "./auth-file.js";
import { credentialFromHelper } from "./cred-helper.js";

export type { Credential } from "./auth-file.js";

export interface CredentialSource {
  /** --authfile: when given, the only file read. */
  authFile?: string;
  /** Defaults to process.env; tests pass their own. */
  env?: NodeJS.ProcessEnv;
  /** Defaults to os.homedir(). */
  homeDir?: string;
  /** Told about problems that do not stop the lookup, e.g. a credential helper that is not installed. */
  onWarning?: (message: string) => void;
  /** How long a credential helper may take to answer; defaults to 30 s. */
  helperTimeoutMs?: number;
}

const DEFAULT_HELPER_TIMEOUT_MS = 30_000;

/**
 * The files searched, in order (only existing ones matter): authFile, else
 * REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
 * $XDG_CONFIG_HOME/containers/auth.json (default ~/.config),
 * $DOCKER_CONFIG/config.json else ~/.docker/config.json.
 */
export function authFileCandidates(source: CredentialSource = {}): string[] {
  const authFile = nonEmpty(source.authFile);
  if (authFile !== undefined) return [authFile];
  const env = source.env ?? process.env;
  const runtimeDir = nonEmpty(env.XDG_RUNTIME_DIR);
  const configHome = nonEmpty(env.XDG_CONFIG_HOME) ?? join(homeOf(source), ".config");
  const paths = [
    nonEmpty(env.REGISTRY_AUTH_FILE),
    runtimeDir === undefined ? undefined : join(runtimeDir, "containers", "auth.json"),
    join(configHome, "containers", "auth.json"),
    dockerConfigPath(source),
  ];
  return withoutDuplicates(paths.filter((p): p is string => p !== undefined));
}

/**
 * The file `airlock login` writes: authFile, else REGISTRY_AUTH_FILE, else
 * $DOCKER_CONFIG/config.json else ~/.docker/config.json (docker format).
 */
export function loginFilePath(source: CredentialSource = {}): string {
  const env = source.env ?? process.env;
  return nonEmpty(source.authFile) ?? nonEmpty(env.REGISTRY_AUTH_FILE) ?? dockerConfigPath(source);
}

/**
 * The credential for a registry host ("docker.io", "localhost:5000",
 * "ghcr.io") and optionally a repository path ("library/ubuntu"), as
 * containers-auth.json(5) defines it. In each file, in the order of
 * authFileCandidates: the `credHelpers` helper for the host, then the stored
 * entries (namespace keys such as `ghcr.io/team` longest first, matched at
 * path-component boundaries, then the host key), then the `credsStore`
 * helper. The first file that yields a credential wins. Returns undefined for
 * anonymous access.
 */
export async function resolveCredential(
  registry: string,
  repository: string | undefined,
  source: CredentialSource = {},
): Promise<Credential | undefined> {
  return await credentialLookup(registry, source)(repository);
}

/** Looks up the credential for one repository of a registry (undefined: the registry as a whole). */
export type CredentialLookup = (repository: string | undefined) => Promise<Credential | undefined>;

/**
 * resolveCredential for many repositories of one registry: each auth file is
 * read at most once, and each credential helper asked at most once (helpers
 * are keyed by host), however many repositories are looked up.
 */
export function credentialLookup(registry: string, source: CredentialSource = {}): CredentialLookup {
  const host = registryHost(registry);
  const files = new Map<string, Promise<AuthFile | undefined>>();
  const helpers = new Map<string, Promise<Credential | undefined>>();
  const ask: AskHelper = (file, helper, origin) => {
    const key = `${helper}\0${helperServerURL(file, host)}`;
    let answer = helpers.get(key);
    if (answer === undefined) {
      answer = askHelper(file, host, helper, origin, source);
      helpers.set(key, answer);
    }
    return answer;
  };
  return async (repository) => {
    const keys = lookupKeys(host, repository);
    for (const path of authFileCandidates(source)) {
      let read = files.get(path);
      if (read === undefined) {
        read = readAuthFile(path);
        files.set(path, read);
      }
      const file = await read;
      const cred = file === undefined ? undefined : await credentialInFile(file, host, keys, ask);
      if (cred !== undefined) return cred;
    }
    return undefined;
  };
}

type AskHelper = (file: AuthFile, helper: string, origin: string) => Promise<Credential | undefined>;

async function credentialInFile(
  file: AuthFile,
  host: string,
  keys: string[],
  ask: AskHelper,
): Promise<Credential | undefined> {
  const helper = credHelperFor(file, host);
  if (helper !== undefined) {
    const cred = await ask(file, helper, `credHelpers in ${file.path}`);
    if (cred !== undefined) return cred;
  }
  const stored = findStoredCredential(file, keys);
  if (stored !== undefined) return stored;
  // The default helper comes after the file's own entries, so that a login
  // airlock wrote into a file that also has a credsStore takes effect.
  if (file.credsStore === undefined || file.credsStore === helper) return undefined;
  return ask(file, file.credsStore, `credsStore in ${file.path}`);
}

function askHelper(
  file: AuthFile,
  host: string,
  helper: string,
  origin: string,
  source: CredentialSource,
): Promise<Credential | undefined> {
  const query = { helper, serverURL: helperServerURL(file, host), origin };
  return credentialFromHelper(query, {
    env: source.env ?? process.env,
    timeoutMs: source.helperTimeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS,
    onWarning: source.onWarning,
  });
}

/**
 * Stores a username and password for a registry in loginFilePath(source),
 * under docker's key (`https://index.docker.io/v1/` for Docker Hub, else
 * host[:port]), replacing any entry under an equivalent key and keeping every
 * other key of the file. Written atomically, mode 0600. Returns the path.
 */
export async function saveLogin(
  registry: string,
  cred: { username: string; password: string },
  source: CredentialSource = {},
): Promise<string> {
  checkLogin(cred);
  const host = registryHost(registry);
  const path = loginFilePath(source);
  const content = (await readAuthFile(path))?.content ?? {};
  // Docker would hand the secret to a configured credsStore; airlock always
  // writes it into the file (storing through helpers is out of scope), and
  // resolveCredential reads the file's entries before asking the credsStore.
  const basicAuth = Buffer.from(`${cred.username}:${cred.password}`, "utf8").toString("base64");
  setLoginEntry(content, host, basicAuth);
  await writeAuthFile(path, content);
  return path;
}

/**
 * Removes the stored login for a registry (under any equivalent key) from
 * loginFilePath(source). Returns whether an entry was removed; the file is
 * rewritten only then.
 */
export async function removeLogin(registry: string, source: CredentialSource = {}): Promise<boolean> {
  const host = registryHost(registry);
  const path = loginFilePath(source);
  const file = await readAuthFile(path);
  if (file === undefined || !deleteLoginEntries(file.content, host)) return false;
  await writeAuthFile(path, file.content);
  return true;
}

function checkLogin(cred: { username: string; password: string }): void {
  if (cred.username === "") throw new AirlockError("ERR_USAGE", "the username is empty");
  if (cred.username.includes(":")) throw new AirlockError("ERR_USAGE", `the username may not contain ":"`);
  if (cred.password === "") throw new AirlockError("ERR_USAGE", "the password is empty");
}

/** "https://Index.Docker.io/v1/" → "docker.io"; "localhost:5000" stays. */
function registryHost(registry: string): string {
  const host = normalizeAuthKey(registry).split("/")[0] ?? "";
  if (host === "") throw new AirlockError("ERR_USAGE", `"${registry}" is not a registry host`);
  return host;
}

function dockerConfigPath(source: CredentialSource): string {
  const dockerConfig = nonEmpty((source.env ?? process.env).DOCKER_CONFIG);
  return dockerConfig === undefined
    ? join(homeOf(source), ".docker", "config.json")
    : join(dockerConfig, "config.json");
}

function homeOf(source: CredentialSource): string {
  return source.homeDir ?? homedir();
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function withoutDuplicates(paths: string[]): string[] {
  const seen = new Set<string>();
  return paths.filter((p) => {
    const key = resolve(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
