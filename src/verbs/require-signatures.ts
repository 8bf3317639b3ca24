/**
 * `--require-signatures` and the image list's `verify:`: checks that refuse
 * to write anything when an image's signature is missing or bad. The hooks
 * create-bundle and push-bundle call, kept here so the verbs change by a line.
 * The checks themselves (signature-check.ts, and with it @sigstore/*) load only when a
 * policy applies: a create-bundle without one does not pay for them.
 */
import { AirlockError } from "../errors.js";
import type { ImageList, ImageEntry } from "../imagelist/types.js";
import { entryKey } from "../plan/entry-key.js";
import type { Lock, LockEntry } from "../plan/lock-types.js";
import { bundleLock } from "../bundle/bundle-lock.js";
import { loadPolicy, PolicyCache, readTrustedRootFile } from "../signature/policy.js";
import { TRUSTED_ROOT_NAME } from "../store/bundle-index.js";
import type { ImageVerdict, LoadedPolicy, SignaturePolicy } from "../signature/types.js";
import type { BundleSource } from "../store/bundle-store.js";
import { ClientPool } from "./client-pool.js";
import type { RemoteOptions } from "./options.js";

/**
 * Before create-bundle writes a byte: each image of the lock against its policy (the entry's
 * `verify:`, else its registry's, else `required`), in its source registry.
 * @throws AirlockError ERR_SIGNATURE_POLICY naming every image that fails.
 */
export async function requireLockSignatures(
  lock: Lock,
  list: ImageList,
  required: SignaturePolicy | undefined,
  options: RemoteOptions,
): Promise<void> {
  const policies = await policiesOf(lock, list, required);
  if (policies.size === 0) return;
  const { checkLockedImages, registrySources } = await import("./signature-check.js");
  const pool = new ClientPool(options, list.registries);
  try {
    const verdicts = await checkLockedImages(
      lock,
      registrySources(pool),
      (e) => policies.get(e.key),
      options.signal,
    );
    refuseFailures(verdicts, "create-bundle wrote nothing");
  } finally {
    await pool.close();
  }
}

/**
 * Before push-bundle pushes anything: every image of the bundles against `required`, from the
 * bundles' own content (what their locks record as attached).
 * @throws AirlockError ERR_SIGNATURE_POLICY naming every image that fails.
 */
export async function requireBundleSignatures(
  sources: BundleSource[],
  required: SignaturePolicy | undefined,
  signal?: AbortSignal,
): Promise<void> {
  if (required === undefined) return;
  const { checkLockedImages } = await import("./signature-check.js");
  const policies = new PolicyCache(required);
  const verdicts: ImageVerdict[] = [];
  for (const source of sources) {
    const policy = await policies.get(source.reader.index.metadata.get(TRUSTED_ROOT_NAME));
    const lock = bundleLock(source.reader);
    if (lock === undefined) {
      throw new AirlockError(
        "ERR_SIGNATURE_POLICY",
        `bundle ${source.reader.file} has no lock, so nothing says what is attached to its images: push-bundle pushed nothing`,
      );
    }
    verdicts.push(
      ...(await checkLockedImages(
        lock,
        () => Promise.resolve(source),
        () => policy,
        signal,
      )),
    );
  }
  refuseFailures(verdicts, "push-bundle pushed nothing");
}

/** Each lock entry's policy, loaded once per distinct policy. */
async function policiesOf(
  lock: Lock,
  list: ImageList,
  required: SignaturePolicy | undefined,
): Promise<Map<string, LoadedPolicy>> {
  const byKey = new Map<string, ImageEntry>(list.images.map((e) => [entryKey(e), e]));
  const loaded = new Map<string, Promise<LoadedPolicy>>();
  const out = new Map<string, LoadedPolicy>();
  const policyOf = (entry: LockEntry): SignaturePolicy | undefined => {
    const listed = byKey.get(entry.key);
    return listed?.verify ?? (listed && list.registries[listed.registry]?.verify) ?? required;
  };
  for (const entry of lock.entries) {
    const policy = policyOf(entry);
    if (policy === undefined) continue;
    const id = JSON.stringify(policy);
    let load = loaded.get(id);
    if (load === undefined) loaded.set(id, (load = loadPolicy(policy)));
    out.set(entry.key, await load);
  }
  return out;
}

function refuseFailures(verdicts: ImageVerdict[], nothing: string): void {
  const failed = verdicts.filter((v) => !v.passed);
  if (failed.length === 0) return;
  const said = failed.map((v) => `${v.image}: ${v.reason}`).join("; ");
  const what = failed.length === 1 ? "an image fails" : `${failed.length} images fail`;
  throw new AirlockError("ERR_SIGNATURE_POLICY", `${what} the signature policy (${nothing}): ${said}`);
}

/** The files create-bundle carries beside the layout for signature checks: the trusted root, if given. */
export async function carriedFiles(
  trustedRoot: string | undefined,
): Promise<{ name: string; bytes: Buffer }[]> {
  if (trustedRoot === undefined) return [];
  return [{ name: TRUSTED_ROOT_NAME, bytes: await readTrustedRootFile(trustedRoot) }];
}
