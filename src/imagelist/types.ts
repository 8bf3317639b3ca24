/**
 * The normalised image list: what every input format (airlock.yaml, skopeo
 * sync YAML, mindthegap images.yaml, a text list) becomes after validation.
 * Data only; the planner reads nothing else.
 */

import type { SignaturePolicy } from "../signature/types.js";

/**
 * Where something was written, for messages: "airlock.yaml:14:5". A list given as an object
 * has no text to point into: its file is "<object>", line and column 0, and the path says where.
 */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** How an entry chooses tags. */
export type TagSelector =
  /** One tag, optionally pinned: `name:tag`, `name:tag@sha256:…`. */
  | { kind: "tag"; tag: string; digest?: string }
  /** A digest only: `name@sha256:…`. */
  | { kind: "digest"; digest: string }
  /** An explicit list of tags. */
  | { kind: "tags"; tags: string[] }
  /** Every tag of the repository matching a regular expression (JavaScript syntax, anchored as written). */
  | { kind: "regex"; pattern: string }
  /** Every tag that is a semantic version within a range (node-semver syntax). */
  | { kind: "semver"; range: string };

export interface ImageEntry {
  /** The reference as written in the list, e.g. "nginx:1.27". */
  source: string;
  /** Where the entry starts in its file. */
  position: SourcePosition;
  /** Normalised registry host ("docker.io", "127.0.0.1:5000"). */
  registry: string;
  /** Normalised repository path ("library/nginx"). */
  repository: string;
  selector: TagSelector;
  /** Normalised "os/arch[/variant]" strings, sorted, or "all". */
  platforms: string[] | "all";
  /** When true, a platform the image lacks is skipped instead of being an error. */
  optionalPlatforms: boolean;
  /** What attached content to carry; absent: whatever is attached (signatures and every referrer). */
  attached?: AttachedPolicy;
  /** The signature policy create-bundle enforces for this entry's images (paths absolute); overrides the registry's. */
  verify?: SignaturePolicy;
}

/** Which content attached to an image (by cosign's tags or as OCI 1.1 referrers) is carried with it. */
export interface AttachedPolicy {
  /** cosign's `sha256-<hex>.sig`, `.att` and `.sbom` tags. */
  signatures: boolean;
  /** OCI 1.1 referrers (the referrers API, or its `sha256-<hex>` fallback tag). */
  referrers: boolean;
  /** Only referrers of these artifact types (sorted); absent: all. */
  artifactTypes?: string[];
}

/** How to reach one registry. Secrets are never inline: only names of env vars or files. */
export interface RegistrySettings {
  insecure?: boolean;
  plainHttp?: boolean;
  /** Absolute path (resolved against the list's directory). */
  caFile?: string;
  /** Absolute path of a docker config.json / containers auth.json to read credentials from. */
  authFile?: string;
  /** Names of environment variables holding the username and password. */
  usernameEnv?: string;
  passwordEnv?: string;
  /** Fetch this host's images from another host[:port] (same repository paths). */
  mirror?: string;
  /** A proxy URL for this registry, overriding HTTP(S)_PROXY and NO_PROXY; false to go direct. */
  proxy?: string | false;
  /** Connect and idle time-out in ms, overriding --timeout. */
  timeoutMs?: number;
  /** How long a failing request keeps retrying, in ms (0: no retries), overriding --retry-for. */
  retryForMs?: number;
  /** The signature policy create-bundle enforces for this registry's images (paths absolute). */
  verify?: SignaturePolicy;
}

export type InputFormat = "airlock" | "skopeo-sync" | "mindthegap" | "text";

export interface ImageList {
  /** The file it was read from, as given; "<object>" for a list given as an object. */
  file: string;
  format: InputFormat;
  /** Default platforms for entries that name none: normalised, sorted, or "all". */
  platforms: string[] | "all";
  registries: Record<string, RegistrySettings>;
  images: ImageEntry[];
}

/** One problem found in an input file. */
export interface Problem {
  position: SourcePosition;
  /** JSON path of the field, e.g. "images[3].platforms[0]"; "" for the document. */
  path: string;
  /** What is wrong and what is allowed. */
  message: string;
}
