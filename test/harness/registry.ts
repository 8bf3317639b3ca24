/**
 * Real Distribution 2.8 registries (Debian's docker-registry) for integration
 * tests, in four variants: plain HTTP, htpasswd basic auth, TLS with a test CA,
 * and token auth with a local token issuer. Each one gets its own temp dir
 * (config, storage, keys) on 127.0.0.1 and a free port.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { dump } from "js-yaml";
import { onProcessExit } from "./exit-guard.js";
import { makeTestPki, type TestPki } from "./pki.js";
import { launchRegistry, type RegistryProcess } from "./registry-process.js";
import {
  startTokenIssuer,
  type TokenIssuer,
  type TokenRequestRecord,
  type TokenUser,
} from "./token-issuer.js";
import { requireTool, runTool } from "./tools.js";

export type { TokenRequestRecord } from "./token-issuer.js";

export type RegistryVariant = "plain" | "htpasswd" | "tls" | "token";

export interface StartRegistryOptions {
  /** Copy this storage root (like `cp -r`) into the new registry's own temp dir before starting. */
  copyStorageFrom?: string;
  /** storage.delete.enabled; default false, as in a stock registry. */
  deleteEnabled?: boolean;
  /**
   * htpasswd and token variants: users accepted besides the test user. Their
   * `namespaces` (token variant only) limit what the issuer grants them.
   */
  users?: TokenUser[];
}

export interface TestRegistry {
  variant: RegistryVariant;
  /** "127.0.0.1:PORT" */
  host: string;
  /** "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT" */
  url: string;
  /** htpasswd and token variants: a valid user. */
  username?: string;
  password?: string;
  /** tls variant: PEM of the test CA. */
  caFile?: string;
  /** tls variant: directory holding only ca.crt, usable as skopeo --cert-dir. */
  certDir?: string;
  /** The registry's storage root directory. */
  storageDir: string;
  /** Flags for the source side of `skopeo copy` (--src-tls-verify / --src-cert-dir / --src-creds). */
  skopeoSrcFlags(): string[];
  /** Flags for the destination side of `skopeo copy`. */
  skopeoDestFlags(): string[];
  /** Flags for `skopeo inspect` / `list-tags` / `delete`. */
  skopeoFlags(): string[];
  /** Registry output so far (stderr log and stdout access log), for debugging failed tests. */
  logs(): string;
  /** token variant: every request the issuer saw. */
  tokenRequests?: TokenRequestRecord[];
  /** Stops the registry (SIGTERM, wait for exit) and the token issuer, removes temp dirs. Idempotent. */
  stop(): Promise<void>;
  /**
   * Stops only the registry process (SIGTERM, wait for exit), as a restart
   * or an outage would: nothing listens on its port until startProcess().
   * Its config, storage and secret stay.
   */
  stopProcess(): Promise<void>;
  /** Starts the registry process again on the same port, with the same config and storage. */
  startProcess(): Promise<void>;
}

/** What a variant adds to the base setup. */
interface VariantSetup {
  auth?: Record<string, unknown>;
  pki?: TestPki;
  issuer?: TokenIssuer;
  credentials?: { username: string; password: string };
}

const TEST_USER = "airlock";
const BCRYPT_COST = 5;

export async function startRegistry(
  variant: RegistryVariant,
  options: StartRegistryOptions = {},
): Promise<TestRegistry> {
  requireTool("docker-registry");
  const dir = await mkdtemp(join(tmpdir(), `airlock-registry-${variant}-`));
  const unguardDir = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  const removeDir = async (): Promise<void> => {
    await rm(dir, { recursive: true, force: true });
    unguardDir();
  };
  let setup: VariantSetup = {};
  try {
    const storageDir = join(dir, "storage");
    if (options.copyStorageFrom !== undefined) {
      await mkdir(storageDir, { recursive: true });
      await runTool("cp", ["-a", `${options.copyStorageFrom}/.`, storageDir]);
    }
    setup = await prepareVariant(variant, dir, options.users ?? []);
    const configFile = join(dir, "config.yml");
    const config = registryConfig(storageDir, setup, options);
    await writeFile(configFile, dump(config));
    const control = processControl(await launchRegistry(configFile), configFile, config);
    let stopping: Promise<void> | undefined;
    const issuer = setup.issuer;
    const stop = (): Promise<void> => {
      stopping ??= control.stopProcess().finally(() => teardown(issuer, removeDir));
      return stopping;
    };
    return describeRegistry(variant, control.host, storageDir, setup, { ...control, stop });
  } catch (error) {
    await teardown(setup.issuer, removeDir);
    throw error;
  }
}

/** Stopping and starting one registry's process on its first port; the logs of every run. */
function processControl(
  first: RegistryProcess,
  configFile: string,
  config: { http: Record<string, unknown> },
): Pick<TestRegistry, "host" | "logs" | "stopProcess" | "startProcess"> {
  let current: RegistryProcess | undefined = first;
  let earlier = "";
  const host = first.host;
  return {
    host,
    logs: () => earlier + (current?.logs() ?? ""),
    async stopProcess() {
      const running = current;
      current = undefined;
      if (running === undefined) return;
      await running.stop();
      earlier += running.logs();
    },
    async startProcess() {
      if (current !== undefined) throw new Error(`the registry at ${host} is running`);
      await writeFile(configFile, dump({ ...config, http: { ...config.http, addr: host } }));
      current = await launchRegistry(configFile);
    },
  };
}

async function teardown(issuer: TokenIssuer | undefined, removeDir: () => Promise<void>): Promise<void> {
  try {
    await issuer?.close();
  } finally {
    await removeDir();
  }
}

type User = TokenUser;

async function prepareVariant(variant: RegistryVariant, dir: string, users: User[]): Promise<VariantSetup> {
  switch (variant) {
    case "plain":
      return {};
    case "htpasswd":
      return prepareHtpasswd(dir, users);
    case "tls":
      return { pki: await makeTestPki(join(dir, "pki")) };
    case "token":
      return prepareToken(dir, users);
  }
}

async function prepareHtpasswd(dir: string, users: User[]): Promise<VariantSetup> {
  const credentials = newCredentials();
  const path = join(dir, "htpasswd");
  // bcryptjs writes $2b$; Go's bcrypt (and so the registry) accepts it. MD5 ($apr1$) would be ignored.
  const lines = [credentials, ...users].map(
    (u) => `${u.username}:${bcrypt.hashSync(u.password, BCRYPT_COST)}\n`,
  );
  await writeFile(path, lines.join(""));
  return { credentials, auth: { htpasswd: { realm: "airlock-test", path } } };
}

async function prepareToken(dir: string, users: User[]): Promise<VariantSetup> {
  const credentials = newCredentials();
  const issuer = await startTokenIssuer({ ...credentials, users, dir: join(dir, "token") });
  const token = {
    realm: issuer.realm,
    service: issuer.service,
    issuer: issuer.issuer,
    rootcertbundle: issuer.rootCertFile,
  };
  return { credentials, issuer, auth: { token } };
}

function newCredentials(): { username: string; password: string } {
  return { username: TEST_USER, password: randomBytes(12).toString("base64url") };
}

function registryConfig(
  storageDir: string,
  setup: VariantSetup,
  options: StartRegistryOptions,
): { http: Record<string, unknown> } {
  const http: Record<string, unknown> = { addr: "127.0.0.1:0", secret: randomBytes(16).toString("hex") };
  if (setup.pki) http.tls = { certificate: setup.pki.certFile, key: setup.pki.keyFile };
  const storage = {
    filesystem: { rootdirectory: storageDir },
    delete: { enabled: options.deleteEnabled ?? false },
    // Never let the registry tidy a storage dir a test is inspecting.
    maintenance: { uploadpurging: { enabled: false } },
  };
  const config: { http: Record<string, unknown>; [key: string]: unknown } = {
    version: "0.1",
    log: { level: "info" },
    storage,
    http,
  };
  if (setup.auth) config.auth = setup.auth;
  return config;
}

function describeRegistry(
  variant: RegistryVariant,
  host: string,
  storageDir: string,
  setup: VariantSetup,
  control: Pick<TestRegistry, "logs" | "stop" | "stopProcess" | "startProcess">,
): TestRegistry {
  const scheme = setup.pki ? "https" : "http";
  return {
    variant,
    host,
    url: `${scheme}://${host}`,
    ...setup.credentials,
    ...(setup.pki && { caFile: setup.pki.caFile, certDir: setup.pki.certDir }),
    ...(setup.issuer && { tokenRequests: setup.issuer.requests }),
    storageDir,
    skopeoSrcFlags: () => skopeoFlagsFor(setup, "src-"),
    skopeoDestFlags: () => skopeoFlagsFor(setup, "dest-"),
    skopeoFlags: () => skopeoFlagsFor(setup, ""),
    ...control,
  };
}

function skopeoFlagsFor(setup: VariantSetup, prefix: "" | "src-" | "dest-"): string[] {
  const flags = setup.pki ? [`--${prefix}cert-dir`, setup.pki.certDir] : [`--${prefix}tls-verify=false`];
  if (setup.credentials) {
    flags.push(`--${prefix}creds`, `${setup.credentials.username}:${setup.credentials.password}`);
  }
  return flags;
}
