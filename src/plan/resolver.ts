import type { Descriptor, ImageConfig } from "../oci/types.js";

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
  /**
   * The referrers of a manifest (the referrers API or its fallback tag); only of `artifactType`
   * when given. Without it the lock records no referrers.
   */
  referrers?(
    registry: string,
    repository: string,
    digest: string,
    artifactType?: string,
  ): Promise<Descriptor[]>;
  /** The manifest a tag names, or undefined when there is no such tag. Without it the lock records no cosign tags. */
  manifestIfTagged?(registry: string, repository: string, tag: string): Promise<ResolvedBytes | undefined>;
}
