/**
 * The lockfile's data: what crosses the gap, pinned per platform. Written as
 * YAML by lock-file.ts; its JSON Schema is schemas/airlock-lock.schema.json.
 */

export const LOCK_VERSION = 1;

/** A blob (config or layer) as the lock records it. */
export interface LockedBlob {
  digest: string;
  size: number;
  mediaType: string;
}

/** One platform's image manifest and what it references. */
export interface LockedPlatform {
  /** Normalised "os/arch[/variant]". */
  platform: string;
  digest: string;
  mediaType: string;
  size: number;
  config: LockedBlob;
  layers: LockedBlob[];
}

/** An attestation manifest (buildx's unknown/unknown index entry) for a selected platform. */
export interface LockedAttestation {
  /** Digest of the platform manifest it attests. */
  subject: string;
  digest: string;
  mediaType: string;
  size: number;
  config: LockedBlob;
  layers: LockedBlob[];
}

/** One tag (or digest) of one repository, as resolved. */
export interface LockedImage {
  /** Full source reference: "docker.io/library/nginx:1.27", or "…@sha256:…" for digest pins. */
  reference: string;
  /** The tag, when the image was named by one. */
  tag?: string;
  /** Digest, media type and size of the top manifest: the upstream index for multi-platform images. */
  digest: string;
  mediaType: string;
  size: number;
  /** The selected platforms only; an index may list more (the bundle carries it as a sparse index). */
  platforms: LockedPlatform[];
  /** Attestations of the selected platforms, carried with them; omitted when there are none. */
  attestations?: LockedAttestation[];
}

/** What one image-list entry resolved to. */
export interface LockEntry {
  /** The normalised entry, one line: what changes when the entry changes. */
  key: string;
  /** The reference as written in the list, for people. */
  source: string;
  images: LockedImage[];
}

export interface LockTotals {
  images: number;
  /** Distinct manifests (top and per-platform). */
  manifests: number;
  /** Distinct blobs (configs and layers). */
  blobs: number;
  /** Bytes of distinct manifests and blobs: what a bundle carries. */
  bytes: number;
  /** Bytes if every image carried its own copy of everything. */
  bytesWithoutDedup: number;
}

export interface Lock {
  lockVersion: typeof LOCK_VERSION;
  /** sha256 over the normalised list's entry keys: a quick staleness check. */
  listHash: string;
  entries: LockEntry[];
  totals: LockTotals;
}
