/**
 * The signature checks of images a lock pins, whatever holds them: the
 * source registries (create-bundle, before anything is written) or a bundle
 * (push-bundle and verify-signatures, offline). What is attached to each
 * image is what the lock recorded; the bytes come from the store.
 */
import type { Lock, LockEntry, LockedImage } from "../plan/lock-types.js";
import { parseReference } from "../ref/reference.js";
import { checkImage } from "../signature/check-image.js";
import type { ImageVerdict, LoadedPolicy } from "../signature/types.js";
import type { ImageSource } from "../store/image-store.js";
import { RegistryStore } from "../store/registry-store.js";
import type { ClientPool } from "./client-pool.js";

/** Where an image's manifests and attached content are read from. */
export type SourceFor = (image: LockedImage) => Promise<ImageSource>;

/** Each image of the lock whose entry has a policy, checked against it, in lock order. */
export async function checkLockedImages(
  lock: Lock,
  sourceFor: SourceFor,
  policyFor: (entry: LockEntry) => LoadedPolicy | undefined,
  signal?: AbortSignal,
): Promise<ImageVerdict[]> {
  const out: ImageVerdict[] = [];
  for (const entry of lock.entries) {
    const policy = policyFor(entry);
    if (policy === undefined) continue;
    for (const image of entry.images) {
      const source = await sourceFor(image);
      const descriptor = { digest: image.digest, size: image.size, mediaType: image.mediaType };
      const subjectBytes = await source.manifestGet(descriptor, { signal });
      const ctx = { source, subject: image.digest, subjectBytes, policy, signal };
      out.push(await checkImage(ctx, image.reference, image.attached ?? []));
    }
  }
  return out;
}

/** Each image's own repository in its registry, through the pool's clients. */
export function registrySources(pool: ClientPool): SourceFor {
  return async (image) => {
    const ref = parseReference(image.reference);
    return new RegistryStore(await pool.get(ref.registry), ref.repository);
  };
}
