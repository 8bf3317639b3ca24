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
export type { RetryNotice, TransportStats } from "./registry/transport.js";
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

// Image locations (transports) and the write verbs
export type {
  ImageSource,
  ImageTarget,
  ImageStore,
  TargetCapabilities,
  OpenBlob,
} from "./store/image-store.js";
export { parseLocation, formatLocation, type ImageLocation } from "./store/location.js";
export { openSource, openTarget } from "./store/open.js";
export { MemoryStore } from "./store/memory-store.js";
export { RegistryStore } from "./store/registry-store.js";
export { OciDirStore } from "./store/oci-dir-store.js";
export { copyImage, type CopyOptions, type CopyResult, type CopyEvent } from "./verbs/copy.js";
export { pullImage, pushImage, type PullOptions, type PullFormat } from "./verbs/pull-push.js";
export { tagImage, deleteImage, type RefResult } from "./verbs/tag-delete.js";
export { exportImage, exportImageToFile, type ExportOptions } from "./verbs/export.js";
export { syncImages, type SyncOptions, type SyncedImage } from "./verbs/sync.js";
export {
  mutateImage,
  appendLayers,
  flattenImage,
  type ConfigChanges,
  type EditOptions,
} from "./verbs/mutate.js";
export { rebaseImage, type RebaseOptions } from "./verbs/rebase.js";

// Image lists, locks and bundles
export {
  loadImageList,
  parseImageList,
  validateImageList,
  formatProblem,
  ImageListError,
} from "./imagelist/index.js";
export type { ImageEntry, ImageList, Problem, RegistrySettings, TagSelector } from "./imagelist/types.js";
export type { Lock, LockEntry, LockedImage, LockedPlatform, LockTotals } from "./plan/lock-types.js";
export { planLock, PlanError, type PlanOptions } from "./plan/planner.js";
export type { Resolver } from "./plan/resolver.js";
export { checkLock, type LockCheck } from "./plan/check.js";
export { diffLocks, type LockDiff } from "./plan/diff.js";
export { encodeLock, decodeLock } from "./plan/lock-file.js";
export { readLock, writeLock } from "./verbs/lock-io.js";
export {
  lockImageList,
  checkImageListLock,
  defaultLockFile,
  type LockOptions,
  type LockResult,
} from "./verbs/lock.js";
export { diffLockFiles } from "./verbs/diff.js";
export {
  createBundle,
  type CreateBundleOptions,
  type CreateBundleResult,
  type BundleEvent,
} from "./verbs/create-bundle.js";
export type { BundlePart } from "./verbs/create-bundle.js";
export type { FetchProgress } from "./bundle/fetch.js";
export { BundleReader, type BundleRef } from "./bundle/bundle-reader.js";
export type { TarIndex } from "./bundle/tar-index.js";
export { bundleLock } from "./bundle/bundle-lock.js";
export { verifyBundle, type VerifyReport } from "./bundle/verify.js";
export { inspectBundle, verifyBundles, type BundleSummary } from "./verbs/inspect-bundle.js";
export {
  pushBundle,
  type PushBundleOptions,
  type PushBundleResult,
  type PushEvent,
} from "./verbs/push-bundle.js";
export type { ExistingTagPolicy, ImageOutcome, PushStats, SparseIndexPolicy } from "./verbs/push-bundle.js";
export { serveRegistry, type ServeOptions, type ServedRegistry } from "./serve/server.js";
export { targetRepository, targetTag, type TargetNameOptions } from "./ref/target-name.js";
