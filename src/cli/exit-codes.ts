import type { ErrorCode } from "../errors.js";

/** airlock's exit codes; documented in the README, stable across releases. */
export const ExitCode = {
  Ok: 0,
  /** The operation ran and found a problem (e.g. `lock --check` found the lock stale). */
  Failure: 1,
  /** Bad command line or input file: a flag, a reference, a platform, an image list. */
  Usage: 2,
  /** A repository, tag, manifest, blob or platform does not exist. */
  NotFound: 3,
  /** Authentication or authorisation failed, or credentials could not be read. */
  Auth: 4,
  /** The registry could not be reached: DNS, refused connection, TLS verification. */
  Network: 5,
  /** Content did not match its digest or size. */
  Integrity: 6,
  /** The registry answered with an error or something airlock does not support. */
  Registry: 7,
  /** An image's signature or attestation is missing or does not satisfy the signature policy. */
  SignaturePolicy: 8,
  /** A bug in airlock: please report it with the stack trace printed. */
  Internal: 70,
  /** Interrupted (Ctrl-C). */
  Interrupted: 130,
} as const;

const BY_CODE: Record<ErrorCode, number> = {
  ERR_USAGE: ExitCode.Usage,
  ERR_REF_INVALID: ExitCode.Usage,
  ERR_DIGEST_INVALID: ExitCode.Usage,
  ERR_PLATFORM_INVALID: ExitCode.Usage,
  ERR_IMAGELIST_INVALID: ExitCode.Usage,
  ERR_FILE: ExitCode.Usage,
  ERR_PLATFORM_NOT_FOUND: ExitCode.NotFound,
  ERR_NOT_FOUND: ExitCode.NotFound,
  ERR_AUTH: ExitCode.Auth,
  ERR_DENIED: ExitCode.Auth,
  ERR_CREDENTIALS: ExitCode.Auth,
  ERR_NETWORK: ExitCode.Network,
  ERR_TLS: ExitCode.Network,
  ERR_DIGEST_MISMATCH: ExitCode.Integrity,
  ERR_SIZE_MISMATCH: ExitCode.Integrity,
  ERR_BUNDLE_CORRUPT: ExitCode.Integrity,
  ERR_REGISTRY: ExitCode.Registry,
  ERR_UNSUPPORTED: ExitCode.Registry,
  ERR_MANIFEST_INVALID: ExitCode.Registry,
  ERR_MANIFEST_UNSUPPORTED: ExitCode.Registry,
  ERR_TOO_LARGE: ExitCode.Registry,
  ERR_LOCK_STALE: ExitCode.Failure,
  ERR_LOCK_INVALID: ExitCode.Usage,
  ERR_INVENTORY_INVALID: ExitCode.Usage,
  /** A delta bundle's target lacks blobs the delta leaves out. */
  ERR_DELTA_BASE_MISSING: ExitCode.NotFound,
  ERR_ABORTED: ExitCode.Interrupted,
  ERR_SIGNATURE_POLICY: ExitCode.SignaturePolicy,
};

export function exitCodeFor(code: ErrorCode): number {
  return BY_CODE[code];
}
