import type { ImageConfig } from "../oci/types.js";

/** A manifest as served: raw bytes and the digest computed from them. */
export interface ResolvedBytes {
  bytes: Buffer;
  digest: string;
  mediaType: string;
  size: number;
}

/**
 * What the planner needs from the outside world. The registry-backed
 * implementation lives in verbs/; tests use an in-memory one.
 */
export interface Resolver {
  /** The manifest a tag or digest names in a repository. */
  manifest(registry: string, repository: string, reference: string): Promise<ResolvedBytes>;
  /** Every tag of a repository. */
  tags(registry: string, repository: string): Promise<string[]>;
  /** An image's config (small, verified). */
  config(
    registry: string,
    repository: string,
    descriptor: { digest: string; size: number },
  ): Promise<ImageConfig>;
}
