/**
 * airlock's library API. Every CLI verb is a typed function here first; the
 * CLI only parses flags, prints and maps error codes to exit codes.
 */

export { AirlockError, RegistryError, isAirlockError } from "./errors.js";
export type { ErrorCode, RegistryErrorDetail } from "./errors.js";
export { VERSION } from "./version.js";

// OCI data types and helpers
export type { Descriptor, ImageConfig, ImageManifest, Index, Platform } from "./oci/types.js";
export { MediaType, MANIFEST_ACCEPT, isIndexType, isImageManifestType } from "./oci/media-types.js";
export { sha256Digest, parseDigest } from "./oci/digest.js";
export { parseManifest, type ParsedManifest } from "./oci/manifest.js";
export {
  formatPlatform,
  isAttestation,
  normalizePlatform,
  parsePlatform,
  platformMatches,
  selectPlatform,
} from "./oci/platform.js";

// References
export {
  formatReference,
  formatRepository,
  parseReference,
  parseRegistry,
  parseRepository,
  type Reference,
} from "./ref/reference.js";

// Registry client
export { connectRegistry, type RegistryOptions } from "./registry/connect.js";
export { RegistryClient, type FetchedManifest, type CallOptions } from "./registry/client.js";
export { resolveCredential, type Credential, type CredentialSource } from "./registry/credentials.js";
export type { RetryPolicy } from "./registry/retry.js";
export { VerifyStream } from "./stream/verify-stream.js";

// Verbs
export type { RemoteOptions, PlatformOptions } from "./verbs/options.js";
export {
  getBlob,
  getConfig,
  getDigest,
  getManifest,
  listCatalog,
  listTags,
  manifestDigest,
} from "./verbs/read.js";
export { inspectImage, type ImageInspection, type InspectOptions } from "./verbs/inspect.js";
export { login, logout, type LoginResult } from "./verbs/login.js";
