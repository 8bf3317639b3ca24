/**
 * What a signature policy asks and what checking an image against it found.
 * Data only: the policy file's YAML/JSON, the image list's `verify:` and the
 * command line's flags all become a SignaturePolicy.
 */
import type { KeyObject } from "node:crypto";

/** A keyless signer: the certificate's subject (an e-mail or URI) and its OIDC issuer, both exact. */
export interface CertificateIdentity {
  subject: string;
  issuer: string;
}

/** A signature policy as written (file paths absolute, or relative to where it was written). */
export interface SignaturePolicy {
  /** PEM public key files (ECDSA P-256/P-384, Ed25519, RSA); a signature by any one of them suffices. */
  keys?: string[];
  /** Keyless signers; a signature by any one of them suffices (needs a trusted root). */
  identities?: CertificateIdentity[];
  /** trusted_root.json: the Fulcio roots and Rekor keys keyless signatures are checked against. */
  trustedRoot?: string;
  /** Attestations each image must have (slsaprovenance, spdx, cyclonedx, or a predicate type URI). */
  attestations?: string[];
}

/** A policy with its files read: what the checks use. */
export interface LoadedPolicy {
  keys: { file: string; key: KeyObject }[];
  identities: CertificateIdentity[];
  /** The trusted root's JSON (a sigstore TrustedRoot), when keyless signers or log checks need it. */
  trustedRoot?: unknown;
  /** Predicate type URIs, each required. */
  attestations: string[];
}

/** Why an image failed: stable codes, worded in `reason`. */
export type SignatureFailure =
  /** Nothing that could be a signature (or the attestation asked for) is attached. */
  | "missing"
  /** A signature is there but does not verify with any key or certificate of the policy. */
  | "bad-signature"
  /** A signature verifies but names another image's digest. */
  | "digest-mismatch"
  /** A keyless signature verifies but for another identity or issuer. */
  | "identity-mismatch"
  /** The certificate does not chain to a trusted root, or was not valid at signing time. */
  | "untrusted-certificate"
  /** The transparency-log entry (inclusion proof or signed entry timestamp) does not verify. */
  | "tlog-invalid";

/** The verdict on one image. */
export interface ImageVerdict {
  /** The image as the target named it ("host/repo:tag", or the bundle's reference). */
  image: string;
  digest: string;
  passed: boolean;
  /** Set when the image failed. */
  failure?: SignatureFailure;
  /** One line: what passed (by which key or identity), or why it failed. */
  reason: string;
}

/** A manifest attached to the image: a cosign tag's or a referrer's, as the lock records them. */
export interface AttachedDescriptor {
  kind: "cosign-sig" | "cosign-att" | "cosign-sbom" | "referrer";
  subject: string;
  digest: string;
  mediaType: string;
  size: number;
  artifactType?: string;
}
