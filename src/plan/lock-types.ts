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

/** How an attached artifact was found: one of cosign's tags, or as an OCI 1.1 referrer. */
export type AttachedKind = "cosign-sig" | "cosign-att" | "cosign-sbom" | "referrer";

/**
 * A manifest attached to the image, to one of its selected platforms, or (to a bounded
 * depth) to another attached manifest: a cosign signature, attestation or SBOM, or a referrer.
 */
export interface LockedArtifact {
  kind: AttachedKind;
  /** Digest of the manifest it is attached to. */
  subject: string;
  /** cosign's tag it is found under ("sha256-<hex>.sig"); absent for referrers. */
  tag?: string;
  digest: string;
  mediaType: string;
  size: number;
  /** The referrer's artifact type (its `artifactType`, else its config's media type); absent for cosign tags. */
  artifactType?: string;
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
  /** What is attached to the top manifest and the selected platforms; omitted when nothing is. */
  attached?: LockedArtifact[];
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
  /** Distinct manifests (top, per-platform, attestations and attached artifacts). */
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
  /** Each image's attached content was looked for; absent in locks written before airlock recorded it. */
  attachedRecorded?: true;
  entries: LockEntry[];
  totals: LockTotals;
}
