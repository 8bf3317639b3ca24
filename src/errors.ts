/**
 * Errors with stable codes. Every error airlock raises on purpose is an
 * AirlockError; its `code` is part of the public API and never changes
 * meaning, while the message may be reworded. The CLI maps codes to exit codes.
 */

export type ErrorCode =
  | "ERR_USAGE"
  | "ERR_REF_INVALID"
  | "ERR_DIGEST_INVALID"
  | "ERR_PLATFORM_INVALID"
  | "ERR_PLATFORM_NOT_FOUND"
  | "ERR_AUTH"
  | "ERR_DENIED"
  | "ERR_CREDENTIALS"
  | "ERR_NOT_FOUND"
  | "ERR_NETWORK"
  | "ERR_TLS"
  | "ERR_REGISTRY"
  | "ERR_UNSUPPORTED"
  | "ERR_MANIFEST_INVALID"
  | "ERR_MANIFEST_UNSUPPORTED"
  | "ERR_DIGEST_MISMATCH"
  | "ERR_SIZE_MISMATCH"
  | "ERR_TOO_LARGE"
  | "ERR_FILE"
  | "ERR_ABORTED"
  | "ERR_IMAGELIST_INVALID"
  | "ERR_LOCK_STALE"
  | "ERR_LOCK_INVALID"
  | "ERR_BUNDLE_CORRUPT"
  | "ERR_INVENTORY_INVALID"
  | "ERR_DELTA_BASE_MISSING"

  /** An image's signature (or attestation) is missing or does not satisfy the signature policy. */
  | "ERR_SIGNATURE_POLICY";

export interface AirlockErrorOptions {
  cause?: unknown;
  /** True when repeating the same operation may succeed (a 503, a reset connection). */
  retryable?: boolean;
}

export class AirlockError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: AirlockErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AirlockError";
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** One entry of the registry's `{"errors":[…]}` body. */
export interface RegistryErrorDetail {
  code: string;
  message: string;
}

export interface RegistryErrorInit extends AirlockErrorOptions {
  method: string;
  /** The request URL with any credentials and query secrets removed. */
  url: string;
  status: number;
  details?: RegistryErrorDetail[];
}

/** An HTTP exchange with a registry that ended in an error status. */
export class RegistryError extends AirlockError {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly details: RegistryErrorDetail[];

  constructor(code: ErrorCode, message: string, init: RegistryErrorInit) {
    super(code, message, init);
    this.name = "RegistryError";
    this.method = init.method;
    this.url = init.url;
    this.status = init.status;
    this.details = init.details ?? [];
  }
}

export function isAirlockError(err: unknown): err is AirlockError {
  return err instanceof AirlockError;
}

/** The message of any thrown value, for wrapping. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "it is a directory",
  ENOTDIR: "a parent is not a directory",
  ENOSPC: "no space left on the device",
};

/** Why a file could not be read or written, in words ("no such file"), never a raw errno code. */
export function fileErrorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return (code !== undefined ? FILE_ERRORS[code] : undefined) ?? messageOf(err);
}

/** What a call rejects with once its AbortSignal has fired, whatever the layer below threw. */
export function abortedError(cause?: unknown): AirlockError {
  return new AirlockError("ERR_ABORTED", "interrupted", cause === undefined ? {} : { cause });
}

/** Throws ERR_ABORTED when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortedError(signal.reason);
}
