import { readFile } from "node:fs/promises";
import type { Readable } from "node:stream";
import { AirlockError, fileErrorReason } from "../errors.js";
import { sha256Digest } from "../oci/digest.js";
import { parseManifest } from "../oci/manifest.js";
import { formatReference, parseReference, parseRegistry, parseRepository } from "../ref/reference.js";
import type { FetchedManifest } from "../registry/client.js";
import { connectRegistry } from "../registry/connect.js";
import { withClient, type PlatformOptions, type RemoteOptions } from "./options.js";
import { resolveManifest } from "./resolve.js";

/** The tags of a repository ("host/name"), as the registry lists them (crane ls). */
export async function listTags(repository: string, options: RemoteOptions = {}): Promise<string[]> {
  const repo = parseRepository(repository);
  return await withClient(repo.registry, options, (c) => c.tagList(repo.repository, options));
}

/** The repositories of a registry (crane catalog). */
export async function listCatalog(registry: string, options: RemoteOptions = {}): Promise<string[]> {
  const host = parseRegistry(registry);
  return await withClient(host, options, (c) => c.catalog(options));
}

/**
 * The manifest a reference names, bytes exactly as served (crane manifest).
 * With `platform`, a multi-platform reference answers with that platform's
 * manifest; without it, with the index itself.
 */
export async function getManifest(
  reference: string,
  options: PlatformOptions = {},
): Promise<FetchedManifest> {
  const ref = parseReference(reference);
  return await withClient(ref.registry, options, async (c) => {
    const resolved = await resolveManifest(c, ref, options);
    return resolved.manifest;
  });
}

/** The digest of the manifest a reference names (crane digest). */
export async function getDigest(reference: string, options: PlatformOptions = {}): Promise<string> {
  return (await getManifest(reference, options)).digest;
}

/**
 * The config blob of an image, bytes as stored (crane config). A
 * multi-platform reference without `platform` uses this machine's platform.
 */
export async function getConfig(reference: string, options: PlatformOptions = {}): Promise<Buffer> {
  const ref = parseReference(reference);
  return await withClient(ref.registry, options, async (c) => {
    const resolved = await resolveManifest(c, ref, { ...options, image: true });
    if (resolved.parsed.kind !== "image") {
      throw new AirlockError(
        "ERR_MANIFEST_UNSUPPORTED",
        `${formatReference(ref)} names an index, which has no config`,
      );
    }
    return await c.blobGetBytes(ref.repository, resolved.parsed.manifest.config, options);
  });
}

/**
 * A blob by "host/name@sha256:…", streamed and verified against the digest
 * (its size comes from a HEAD first).
 */
export async function getBlob(reference: string, options: RemoteOptions = {}): Promise<Readable> {
  const ref = parseReference(reference);
  const digest = ref.digest;
  if (digest === undefined) {
    throw new AirlockError("ERR_REF_INVALID", `blob reference "${reference}" needs a digest: REPO@sha256:…`);
  }
  const client = await connectRegistry(ref.registry, options);
  try {
    const size = await client.blobHead(ref.repository, digest, options);
    if (size === undefined) {
      throw new AirlockError(
        "ERR_NOT_FOUND",
        `blob ${formatReference({ ...ref, tag: undefined })}: not found`,
      );
    }
    const stream = await client.blobGet(ref.repository, { digest, size }, options);
    stream.once("close", () => void client.close());
    return stream;
  } catch (err) {
    await client.close();
    throw err;
  }
}

/** The digest of a manifest file's bytes, as a registry would compute it (skopeo manifest-digest). */
export async function manifestDigest(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new AirlockError("ERR_FILE", `cannot read ${file}: ${fileErrorReason(err)}`, { cause: err });
  }
  parseManifest(bytes, undefined, file);
  return sha256Digest(bytes);
}
