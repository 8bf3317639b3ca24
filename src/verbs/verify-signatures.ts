import { stat } from "node:fs/promises";
import { AirlockError } from "../errors.js";
import { bundleLock } from "../bundle/bundle-lock.js";
import type { ImageEntry } from "../imagelist/types.js";
import { attachedOf } from "../plan/resolve-attached.js";
import { formatReference, parseReference } from "../ref/reference.js";
import { checkImage } from "../signature/check-image.js";
import { PolicyCache } from "../signature/policy.js";
import { TRUSTED_ROOT_NAME } from "../store/bundle-index.js";
import type { ImageVerdict, LoadedPolicy, SignaturePolicy } from "../signature/types.js";
import { BundleSource } from "../store/bundle-store.js";
import { RegistryStore } from "../store/registry-store.js";
import { ClientPool } from "./client-pool.js";
import type { RemoteOptions } from "./options.js";
import { RegistryResolver } from "./registry-resolver.js";
import { checkLockedImages } from "./signature-check.js";

export type {
  CertificateIdentity,
  ImageVerdict,
  SignatureFailure,
  SignaturePolicy,
} from "../signature/types.js";

export interface VerifySignaturesOptions extends RemoteOptions {
  /** Keys, keyless identities, the trusted root, attestation types. */
  policy: SignaturePolicy;
}

export interface VerifySignaturesResult {
  /** One verdict per image, in the order of the targets (a bundle: its lock's order). */
  images: ImageVerdict[];
  /** True when every image passed. */
  passed: boolean;
}

/**
 * Checks images against a signature policy. A target is an image reference
 * (checked in its registry: what is attached is looked up as `airlock lock`
 * does, cosign's tags and OCI 1.1 referrers), or a bundle file (checked
 * offline, no network: each image the bundle's lock names, with what the lock
 * recorded as attached to it, read from the bundle). A failed check is a
 * verdict, not an error; errors are for what could not be read.
 */
export async function verifySignatures(
  targets: string[],
  options: VerifySignaturesOptions,
): Promise<VerifySignaturesResult> {
  const policies = new PolicyCache(options.policy);
  const pool = new ClientPool(options);
  const images: ImageVerdict[] = [];
  try {
    for (const target of targets) {
      if (await isFile(target)) images.push(...(await verifyBundleFile(target, policies, options.signal)));
      else images.push(await verifyReference(target, await policies.get(), pool));
    }
  } finally {
    await pool.close();
  }
  return { images, passed: images.every((i) => i.passed) };
}

async function isFile(target: string): Promise<boolean> {
  return await stat(target).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function verifyBundleFile(
  file: string,
  policies: PolicyCache,
  signal?: AbortSignal,
): Promise<ImageVerdict[]> {
  const source = await BundleSource.open(file, undefined, signal);
  try {
    const policy = await policies.get(source.reader.index.metadata.get(TRUSTED_ROOT_NAME));
    const lock = bundleLock(source.reader);
    if (lock === undefined) {
      throw new AirlockError(
        "ERR_BUNDLE_CORRUPT",
        `bundle ${file} has no lock: it says nothing of what is attached`,
      );
    }
    return await checkLockedImages(
      lock,
      () => Promise.resolve(source),
      () => policy,
      signal,
    );
  } finally {
    await source.close();
  }
}

async function verifyReference(
  target: string,
  policy: LoadedPolicy,
  pool: ClientPool,
): Promise<ImageVerdict> {
  const ref = parseReference(target);
  const client = await pool.get(ref.registry);
  const { signal } = pool;
  const fetched = await client.manifestGet(ref.repository, ref.digest ?? ref.tag ?? "latest", { signal });
  const entry = { registry: ref.registry, repository: ref.repository } as ImageEntry;
  const attached = await attachedOf(entry, [fetched.digest], new RegistryResolver(pool));
  const source = new RegistryStore(client, ref.repository);
  const ctx = { source, subject: fetched.digest, subjectBytes: fetched.bytes, policy, signal };
  return await checkImage(ctx, formatReference(ref), attached);
}
