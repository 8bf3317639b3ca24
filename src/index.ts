/**
 * airlock's library API. Every CLI verb is a typed function here first; the
 * CLI only parses flags, prints and maps error codes to exit codes.
 */

export { AirlockError, RegistryError, isAirlockError } from "./errors.js";
export type { AirlockErrorOptions, ErrorCode, RegistryErrorDetail, RegistryErrorInit } from "./errors.js";
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
export { cosignTag, referrersTag, type CosignSuffix } from "./oci/attached-tags.js";
export { resolveCredential, type Credential, type CredentialSource } from "./registry/credentials.js";
export type { RetryPolicy } from "./registry/retry.js";
export type { BlobUploadOptions, ReleasableReadable } from "./registry/blob-upload.js";
export type { OpenSource } from "./registry/upload-source.js";
export type {
  Method,
  RegistryRequest,
  RegistryResponse,
  RegistryTransport,
  RetryNotice,
  TransportStats,
} from "./registry/transport.js";
export type { Scope } from "./registry/scope.js";
export type { NetworkContext } from "./registry/network-error.js";
export type { Route } from "./registry/proxy.js";
export type { NetworkTimeouts } from "./registry/dispatcher.js";
export { VerifyStream, type ExpectedContent } from "./stream/verify-stream.js";
export type { VerifiedFileRange } from "./stream/verified-file-range.js";

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
export { login, logout, type LoginResult, type LogoutResult } from "./verbs/login.js";

// Image locations (transports) and the write verbs
export type {
  BlobExtent,
  ImageSource,
  ImageTarget,
  ImageStore,
  TargetCapabilities,
  OpenBlob,
  StoreCallOptions,
  MountScope,
  BlobEnsureOptions,
} from "./store/image-store.js";
export {
  CopySession,
  type CopySessionOptions,
  type CopyStats,
  type LocationJournal,
  type BlobOutcome,
  type BlobProgress,
} from "./store/copy-session.js";
export type { LayoutRef } from "./store/layout-index.js";
export type { AttachedOutcome } from "./store/copy-attached.js";
export type { OffsetHasher } from "./store/tar-index.js";
export { parseLocation, formatLocation, type FileTransport, type ImageLocation } from "./store/location.js";
export { openSource, openTarget, type OpenOptions, type OpenedTarget } from "./store/open.js";
export { MemoryStore } from "./store/memory-store.js";
export { RegistryStore } from "./store/registry-store.js";
export { OciDirStore } from "./store/oci-dir-store.js";
export {
  copyImage,
  type CopyEndpoint,
  type CopyOptions,
  type CopyResult,
  type CopyEvent,
} from "./verbs/copy.js";
export { pullImage, pushImage, type PullOptions, type PullFormat } from "./verbs/pull-push.js";
export { tagImage, deleteImage, type RefResult } from "./verbs/tag-delete.js";
export { exportImage, exportImageToFile, type ExportOptions } from "./verbs/export.js";
export { syncImages, type SyncOptions, type SyncedImage, type SyncEvent } from "./verbs/sync.js";
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
  loadImageListObject,
  parseImageList,
  parseImageListObject,
  validateImageList,
  formatPosition,
  formatProblem,
  ImageListError,
  OBJECT_SOURCE,
} from "./imagelist/index.js";
export type {
  ImageEntryDocument,
  ImageListDocument,
  PlatformsDocument,
  RegistryDocument,
} from "./imagelist/document.js";
export type {
  AttachedPolicy,
  ImageEntry,
  ImageList,
  InputFormat,
  Problem,
  RegistrySettings,
  SourcePosition,
  TagSelector,
} from "./imagelist/types.js";
export type { ParseOptions, ParseResult } from "./imagelist/parse.js";
export type { ListDir } from "./imagelist/context.js";
export type {
  AttachedKind,
  Lock,
  LockEntry,
  LockedArtifact,
  LockedAttestation,
  LockedBlob,
  LockedImage,
  LockedPlatform,
  LockTotals,
} from "./plan/lock-types.js";
export { planLock, PlanError, type PlanOptions } from "./plan/planner.js";
export type { PlanProblem } from "./plan/plan-error.js";
export type { Resolver, ResolvedBytes } from "./plan/resolver.js";
export { checkLock, type LockCheck } from "./plan/check.js";
export {
  diffLocks,
  type AttachedChange,
  type LockDiff,
  type MovedImage,
  type PlatformChange,
} from "./plan/diff.js";
export { encodeLock, decodeLock, parseLockObject } from "./plan/lock-file.js";
export { readLock, writeLock } from "./verbs/lock-io.js";
export {
  lockImageList,
  checkImageListLock,
  defaultLockFile,
  type LockCheckOptions,
  type LockCheckResult,
  type LockOptions,
  type LockResult,
} from "./verbs/lock.js";
export type { ListSource } from "./verbs/list-input.js";
export { diffLockFiles, diffLockBytes } from "./verbs/diff.js";
export { deltaSize, type ContentSize, type DeltaImageSize, type DeltaSize } from "./plan/diff-bytes.js";
export {
  createBundle,
  type CreateBundleOptions,
  type CreateBundleResult,
  type BundleEvent,
} from "./verbs/create-bundle.js";
export type { BundlePart } from "./verbs/create-bundle.js";
export type { BundleDelta } from "./bundle/delta.js";
export type { DeltaBase, DeltaBaseKind, DeltaMarker, DeltaOmitted } from "./plan/delta-types.js";
export type { FetchProgress } from "./bundle/fetch.js";
export { BundleReader, type BundleRef } from "./store/bundle-reader.js";
export type { AttachedRef } from "./store/layout-attached.js";
export type { BlobLocation, IndexOptions, TarIndex } from "./store/bundle-index.js";
export type { HashPool } from "./bundle/hash-pool.js";
export type { FileRange, RangeCopy, RangeHash } from "./stream/range-workers.js";
export { bundleLock } from "./bundle/bundle-lock.js";
export { verifyBundle, type DeltaNeeds, type VerifyReport } from "./bundle/verify.js";
export {
  inspectBundle,
  verifyBundles,
  type BundleSummary,
  type BundleSummaryAttached,
  type BundleSummaryImage,
  type VerifyBundlesOptions,
  type VerifyEvent,
} from "./verbs/inspect-bundle.js";
export {
  pushBundle,
  type PushBundleOptions,
  type PushBundleResult,
  type PushEvent,
} from "./verbs/push-bundle.js";
export type {
  DigestChange,
  ExistingTagPolicy,
  ImageOutcome,
  PushStats,
  SparseIndexPolicy,
} from "./verbs/push-bundle.js";
export { formatDigestMap } from "./verbs/digest-map.js";
export { filteredImages, type FilteredImage } from "./plan/filtered-images.js";
export type { MappingRule } from "./ref/target-name.js";
export {
  takeInventory,
  type InventoryEvent,
  type InventoryOptions,
  type InventoryResult,
} from "./verbs/inventory.js";
export type {
  Inventory,
  InventoryBlob,
  InventoryManifest,
  InventoryReferrer,
  InventoryRepository,
  InventoryTag,
  InventoryTotals,
} from "./plan/inventory-types.js";
export { decodeInventory, encodeInventory } from "./plan/inventory-file.js";
export {
  mirrorConfig,
  writeMirrorConfig,
  type MirrorConfigOptions,
  type MirrorConfigResult,
  type MirrorFile,
  type MirrorFormat,
  type MirrorSite,
  type MirrorHost,
  type MirrorRule,
} from "./verbs/mirror-config.js";
export { mirrorHosts, applyRules } from "./plan/mirror-rules.js";
export { renderMirrorConfig, MIRROR_FORMATS } from "./plan/mirror-formats.js";
export { serveRegistry, type ServeOptions, type ServedRegistry } from "./serve/server.js";
export type { CarriedTag } from "./serve/repositories.js";
export { targetRepository, targetTag, type TargetNameOptions, type TargetNaming } from "./ref/target-name.js";

// Signatures
export {
  verifySignatures,
  type VerifySignaturesOptions,
  type VerifySignaturesResult,
} from "./verbs/verify-signatures.js";
export type {
  CertificateIdentity,
  ImageVerdict,
  SignatureFailure,
  SignaturePolicy,
} from "./signature/types.js";
