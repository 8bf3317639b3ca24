import { readdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { AirlockError, fileErrorReason } from "../errors.js";

export interface TlsSettings {
  /** Extra CA bundles (PEM files) trusted besides the system roots. */
  caFiles?: string[];
  /** Skip certificate verification for this registry. */
  insecure?: boolean;
  /** certs.d roots searched for `<host:port>/`; defaults to the containers and docker ones. */
  certsDirs?: string[];
}

/** What undici's `connect` options need for one registry host. */
export interface TlsConnectOptions {
  ca?: string[];
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
}

export function defaultCertsDirs(home = homedir()): string[] {
  return [join(home, ".config/containers/certs.d"), "/etc/containers/certs.d", "/etc/docker/certs.d"];
}

/**
 * The TLS options for `registry` (host[:port]): system roots plus --ca-file
 * plus the first certs.d/<registry>/ directory that exists (`*.crt` are CAs,
 * `*.cert` with `*.key` a client certificate), as containers/image does.
 */
export async function loadTlsOptions(
  registry: string,
  settings: TlsSettings = {},
): Promise<TlsConnectOptions> {
  const extra: string[] = [];
  for (const file of settings.caFiles ?? []) extra.push(await readPem(file, "--ca-file"));
  const fromDir = await readCertsDir(registry, settings.certsDirs ?? defaultCertsDirs());
  extra.push(...fromDir.cas);
  const out: TlsConnectOptions = { rejectUnauthorized: settings.insecure !== true };
  if (extra.length > 0) out.ca = [...rootCertificates, ...extra];
  if (fromDir.cert !== undefined && fromDir.key !== undefined) {
    out.cert = fromDir.cert;
    out.key = fromDir.key;
  }
  return out;
}

async function readPem(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new AirlockError("ERR_FILE", `cannot read ${what} ${file}: ${fileErrorReason(err)}`, {
      cause: err,
    });
  }
}

interface CertsDirContent {
  cas: string[];
  cert?: string;
  key?: string;
}

async function readCertsDir(registry: string, roots: string[]): Promise<CertsDirContent> {
  for (const root of roots) {
    const dir = join(root, registry);
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch {
      continue;
    }
    const content: CertsDirContent = { cas: [] };
    for (const name of names) {
      if (name.endsWith(".crt")) content.cas.push(await readPem(join(dir, name), "certificate"));
      if (name.endsWith(".cert")) content.cert = await readPem(join(dir, name), "client certificate");
      if (name.endsWith(".key")) content.key = await readPem(join(dir, name), "client key");
    }
    return content;
  }
  return { cas: [] };
}
