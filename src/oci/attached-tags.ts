/** The tag schemes that attach content to a manifest by its digest. */
import { parseDigest } from "./digest.js";

/** cosign's tag suffixes: signature, attestation, SBOM. */
export const COSIGN_SUFFIXES = ["sig", "att", "sbom"] as const;
export type CosignSuffix = (typeof COSIGN_SUFFIXES)[number];

/** The referrers API's fallback tag for a subject: "sha256-<hex>". */
export function referrersTag(subject: string): string {
  const { algorithm, hex } = parseDigest(subject);
  return `${algorithm}-${hex}`;
}

/** cosign's tag for a subject's signature, attestation or SBOM: "sha256-<hex>.sig". */
export function cosignTag(subject: string, suffix: CosignSuffix): string {
  return `${referrersTag(subject)}.${suffix}`;
}
