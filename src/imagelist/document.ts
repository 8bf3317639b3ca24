/**
 * airlock.yaml as a value: what its YAML parses to, for a list built in code and given to a
 * verb as an object. It is checked exactly as the file is (schemas/airlock.schema.json, then
 * the checks a schema cannot make), so these types help a caller and promise nothing more.
 */

import type { SignaturePolicy } from "../signature/types.js";

/** "all", or platforms written os/arch[/variant]: ["linux/amd64", "linux/arm64"]. */
export type PlatformsDocument = "all" | string[];

/** How to reach one registry (the `registries:` mapping's values). */
export interface RegistryDocument {
  insecure?: boolean;
  plainHttp?: boolean;
  /** Relative paths resolve against the working directory (a file's: against its directory). */
  caFile?: string;
  authFile?: string;
  /** Names of the environment variables holding the username and password, never the values. */
  credentials?: { usernameEnv: string; passwordEnv: string };
  mirror?: string;
  proxy?: string | false;
  /** "30s", "2m", "500ms", or seconds. */
  timeout?: string | number;
  /** The signatures create-bundle requires of this registry's images. */
  verify?: SignaturePolicy;
}

/** One image with options; at most one tag selector besides a tag or digest in `ref`. */
export interface ImageEntryDocument {
  ref: string;
  tags?: string[];
  tagRegex?: string;
  semver?: string;
  platforms?: PlatformsDocument;
  optionalPlatforms?: boolean;
  /** Carry cosign's .sig/.att/.sbom tags (default true). */
  signatures?: boolean;
  /** Carry OCI 1.1 referrers (default true). */
  referrers?: boolean;
  /** Only referrers of these artifact types (default: all). */
  artifactTypes?: string[];
  /** The signatures create-bundle requires of this entry's images (overrides the registry's). */
  verify?: SignaturePolicy;
}

/** An airlock.yaml document. */
export interface ImageListDocument {
  version?: 1;
  defaults?: {
    platforms?: PlatformsDocument;
    signatures?: boolean;
    referrers?: boolean;
    artifactTypes?: string[];
  };
  registries?: Record<string, RegistryDocument>;
  images: (string | ImageEntryDocument)[];
}
