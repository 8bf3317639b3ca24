/**
 * A site inventory's data: what a registry inside the gap holds, per
 * repository, as digests (never blobs). Written by `airlock inventory`; read
 * back as a base of `create-bundle --since`. Its JSON Schema is
 * schemas/airlock-inventory.schema.json.
 */

export const INVENTORY_VERSION = 1;

/** A tag and the manifest it names. */
export interface InventoryTag {
  tag: string;
  digest: string;
  mediaType: string;
  size: number;
}

/** A manifest or index the registry holds. */
export interface InventoryManifest {
  digest: string;
  mediaType: string;
  size: number;
}

/** A config or layer the registry holds (confirmed with HEAD). */
export interface InventoryBlob {
  digest: string;
  size: number;
}

/** A manifest that names a subject: a referrer of `subject`. */
export interface InventoryReferrer {
  subject: string;
  digest: string;
  artifactType?: string;
}

/** One repository: what its tags reach and the registry holds. */
export interface InventoryRepository {
  /** The repository path in the registry, prefix included. */
  name: string;
  /** Sorted by tag. Fallback referrers tags and cosign's tags are tags like any other. */
  tags: InventoryTag[];
  /** Sorted by digest. */
  manifests: InventoryManifest[];
  /** Sorted by digest. */
  blobs: InventoryBlob[];
  /** Sorted by subject, then digest. */
  referrers: InventoryReferrer[];
}

export interface InventoryTotals {
  repositories: number;
  tags: number;
  /** Distinct manifests across repositories. */
  manifests: number;
  /** Distinct blobs across repositories. */
  blobs: number;
  /** Bytes of the distinct blobs. */
  bytes: number;
}

export interface Inventory {
  inventoryVersion: typeof INVENTORY_VERSION;
  /** host[:port] */
  registry: string;
  /** "" for the whole registry. */
  prefix: string;
  /** Sorted by name. */
  repositories: InventoryRepository[];
  totals: InventoryTotals;
}
