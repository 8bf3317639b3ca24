/**
 * The content-store interface for images, in the manner of oras-go and
 * regclient: a source resolves a reference to a descriptor and fetches
 * manifests and blobs by descriptor; a target takes blobs, then manifests
 * children first, then a tag, and makes it all visible on `commit`.
 * Registries, OCI layouts, archives, skopeo's dir format, bundles and
 * memory all sit behind these two interfaces.
 */
import type { Readable } from "node:stream";
import type { Descriptor, Index } from "../oci/types.js";
import type { ReleasableReadable } from "../registry/blob-upload.js";

/** Cancellation for one call. */
export interface StoreCallOptions {
  signal?: AbortSignal;
}

/** Where a blob's bytes lie in a local file: `size` bytes of `file` from `offset`. */
export interface BlobExtent {
  file: string;
  offset: number;
  size: number;
}

/** Opens a fresh stream of a blob's bytes; may be called again to retry. */
export type OpenBlob = () => Promise<Readable>;

/** One repository of one registry: blobs can be mounted between repositories of a registry. */
export interface MountScope {
  registry: string;
  repository: string;
}

/** Somewhere images are read from. */
export interface ImageSource {
  /** Named in messages: "oci:/tmp/layout", "docker://host/repo". */
  readonly name: string;
  /** Set by registries: a target in the same registry can mount this source's blobs. */
  readonly mountScope?: MountScope;
  /**
   * The descriptor of the manifest `ref` names: a tag or a name in the
   * store, or a digest. Without `ref`, the store's only image.
   * @throws AirlockError ERR_NOT_FOUND when the store has no such image.
   */
  resolve(ref?: string, options?: StoreCallOptions): Promise<Descriptor>;
  /** A manifest's bytes, exactly as stored and verified against the descriptor (size-capped). */
  manifestGet(descriptor: Descriptor, options?: StoreCallOptions): Promise<Buffer>;
  /** A blob as a stream that fails unless its size and sha256 match the descriptor. */
  blobGet(descriptor: Pick<Descriptor, "digest" | "size">, options?: StoreCallOptions): Promise<Readable>;
  /** The names (tags) the store holds. */
  tagList(options?: StoreCallOptions): Promise<string[]>;
  /** Releases files and connections. */
  close(): Promise<void>;
  /**
   * Optional, for stores whose blobs lie whole in local files (bundle tars,
   * OCI layout directories): where a blob's bytes are, for a reader that
   * reads them by offset and range (serve) rather than as one stream; those
   * bytes are NOT verified, the reader checks them. Undefined when the store
   * does not hold the blob.
   */
  blobLocate?(digest: string): Promise<BlobExtent | undefined>;
  /**
   * Optional, for stores that are OCI image layouts: their index.json,
   * every entry in order, named or not (a bundle part without one: empty).
   */
  layoutIndex?(options?: StoreCallOptions): Promise<Index>;
  /**
   * Optional, for sources that re-read cheaply by offset (bundles): a blob's
   * bytes unverified, for a target that verifies them as they leave.
   */
  blobGetUnverified?(descriptor: Pick<Descriptor, "digest" | "size">): Promise<Readable>;
  /** Optional, with blobGetUnverified: a fresh self-verifying stream (see BlobUploadOptions.openVerified). */
  blobOpenVerified?(
    descriptor: Pick<Descriptor, "digest" | "size">,
    onBytes: (total: number) => void,
  ): ReleasableReadable;
}

/** How a registry target uploads one blob. */
export interface BlobEnsureOptions extends StoreCallOptions {
  /** Bytes sent, as increments (negative when an upload starts over). */
  onBytes?: (n: number) => void;
  /** Blobs larger than this go in chunks of `chunkSize`. */
  monolithicMax?: number;
  chunkSize?: number;
  openVerified?: (onBytes: (total: number) => void) => ReleasableReadable;
}

/** What a target can hold as it is. */
export interface TargetCapabilities {
  /** False when manifests are rebuilt from config and layers (docker-archive): digests change. */
  keepsManifests: boolean;
  /** False when only single images fit (docker-archive). */
  holdsIndexes: boolean;
}

/** Somewhere images are written to. Nothing is visible under its final name before `commit`. */
export interface ImageTarget {
  readonly name: string;
  readonly capabilities: TargetCapabilities;
  /** Set by registries: blobs known in another repository of the registry are mounted. */
  readonly mountScope?: MountScope;
  /** Optional (registries): mounts a blob from another repository of the same registry; false if refused. */
  blobMount?(descriptor: Descriptor, fromRepository: string, options?: StoreCallOptions): Promise<boolean>;
  /** Optional (registries): stores a blob unless present, in one check fewer than blobHas + blobPut. */
  blobEnsure?(
    descriptor: Descriptor,
    open: OpenBlob,
    options?: BlobEnsureOptions,
  ): Promise<"stored" | "exists">;
  /** Optional (registries): the manifest a tag or digest names there now, if any. */
  manifestHead?(ref: string, options?: StoreCallOptions): Promise<Descriptor | undefined>;
  /**
   * Optional (registries): makes `referrers` (manifests stored already) listed as referrers of
   * `subject`: nothing more where the registry has the referrers API ("api"), else merged into
   * the index under the fallback tag `sha256-<hex>` ("listed", or "unchanged" when it had them).
   */
  referrersAdd?(
    subject: string,
    referrers: Descriptor[],
    options?: StoreCallOptions,
  ): Promise<"api" | "listed" | "unchanged">;
  /** True when the blob is already there with the right size. */
  blobHas(descriptor: Descriptor, options?: StoreCallOptions): Promise<boolean>;
  /** Stores a blob, verified on the way; `from` lets a registry mount instead of uploading. */
  blobPut(
    descriptor: Descriptor,
    open: OpenBlob,
    options?: StoreCallOptions & { from?: ImageSource },
  ): Promise<void>;
  /** Stores a manifest (its blobs and children must be there already). */
  manifestPut(descriptor: Descriptor, bytes: Buffer, options?: StoreCallOptions): Promise<void>;
  /** Names a stored manifest: with `ref`, or the target's own reference when omitted. */
  tag(descriptor: Descriptor, ref?: string, options?: StoreCallOptions): Promise<void>;
  /** Makes the written content visible (writes index.json, renames the archive). */
  commit(): Promise<void>;
  /** Throws away what was written and not committed. Safe to call after commit. */
  abort(): Promise<void>;
}

/** A store that is both (registry, OCI layout directory, memory). */
export interface ImageStore extends ImageSource, ImageTarget {}

/** Rebuilds manifests for targets that do not keep them (see TargetCapabilities). */
export interface ManifestConverter {
  /** The manifest bytes the target will hold for an image manifest. */
  convertManifest(bytes: Buffer): Buffer;
}
