import { decodeLock } from "../plan/lock-file.js";
import type { Lock } from "../plan/lock-types.js";
import type { BundleReader } from "../store/bundle-reader.js";
import { BUNDLE_LOCK_NAME } from "./layout.js";

/**
 * The lock a bundle carries at its root, decoded and checked against the
 * lockfile schema; undefined for a bundle without one. Kept apart from
 * BundleReader so that reading and pushing a bundle does not load the lock
 * codec (ajv, js-yaml): only verify-bundle and inspect-bundle need it.
 * @throws AirlockError ERR_LOCK_INVALID when the bundled lock is not a valid lockfile.
 */
export function bundleLock(reader: BundleReader): Lock | undefined {
  const bytes = reader.index.metadata.get(BUNDLE_LOCK_NAME);
  return bytes === undefined
    ? undefined
    : decodeLock(bytes.toString("utf8"), `${reader.file}:${BUNDLE_LOCK_NAME}`);
}
