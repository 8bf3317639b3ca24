/**
 * A delta bundle's marker (airlock-delta.json at the bundle's root): the
 * bases it was made against, and every config and layer its manifests
 * reference that it leaves out because a base holds it. Its JSON Schema is
 * schemas/airlock-delta.schema.json.
 */

export const DELTA_VERSION = 1;

/** What a base file is. */
export type DeltaBaseKind = "inventory" | "lock" | "bundle";

/** One base a delta was made against (`create-bundle --since FILE`). */
export interface DeltaBase {
  /** The file's name as given, without its directories. */
  file: string;
  /** sha256 of the whole file. */
  sha256: string;
  kind: DeltaBaseKind;
  /** For an inventory: the registry and prefix it records (push the delta there). */
  registry?: string;
  prefix?: string;
}

/** A config or layer the delta leaves out: the target must hold it already. */
export interface DeltaOmitted {
  digest: string;
  size: number;
  /** Index into `bases`: the first base that holds it. */
  base: number;
  /** A repository of the site that held it (an inventory base), as named there. */
  repository?: string;
  /** A source repository whose image in the base pins it (a lock or bundle base), named at push time as push-bundle names it. */
  source?: string;
}

export interface DeltaMarker {
  deltaVersion: typeof DELTA_VERSION;
  bases: DeltaBase[];
  /** Sorted by digest. */
  omitted: DeltaOmitted[];
  /** Bytes of the omitted blobs: what the delta saves against a full bundle. */
  bytesOmitted: number;
}

/** Where a base holds a blob, and its size when the base says. */
export interface BaseHolding {
  size?: number;
  repository?: string;
  source?: string;
}

/** A base as read: what it is and every config and layer it holds. */
export interface DeltaBaseContent extends DeltaBase {
  /** digest → where it is held. */
  held: Map<string, BaseHolding>;
}
