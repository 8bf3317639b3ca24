/**
 * What checking one attached manifest found, and how the findings for an
 * image become its verdict: it passes with one good signature and one good
 * attestation of each type asked for; otherwise the most telling failure
 * (a signature naming another digest says more than a missing one) is its reason.
 */
import { satisfies } from "./attestation-types.js";
import type { ImageVerdict, SignatureFailure } from "./types.js";

/** The predicate type of cosign's own signatures in a sigstore bundle (a DSSE in-toto statement). */
export const COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1";

export type Finding =
  | {
      ok: true;
      /** "signature", or the attestation's predicate type. */
      proves: string;
      /** Which key file or identity, and in what form: "cosign .sig by key.pub". */
      by: string;
    }
  | {
      ok: false;
      /** What it would have proved, when that could be read. */
      proves?: string;
      failure: SignatureFailure;
      reason: string;
    };

/** The signature kind a finding proves. */
export const SIGNATURE = "signature";

/** Most telling first. */
const RANK: SignatureFailure[] = [
  "digest-mismatch",
  "identity-mismatch",
  "untrusted-certificate",
  "tlog-invalid",
  "bad-signature",
  "missing",
];

function worst(failures: Extract<Finding, { ok: false }>[]): Extract<Finding, { ok: false }> | undefined {
  return [...failures].sort((a, b) => RANK.indexOf(a.failure) - RANK.indexOf(b.failure))[0];
}

/** The verdict on `image` given every finding about it and the attestation types required. */
export function verdictOf(
  image: string,
  digest: string,
  findings: Finding[],
  attestations: string[],
): ImageVerdict {
  const passes: string[] = [];
  for (const proves of [SIGNATURE, ...attestations]) {
    const good = findings.find((f) => f.ok && satisfies(proves, f.proves));
    if (good !== undefined && good.ok) {
      passes.push(good.by);
      continue;
    }
    const bad = worst(findings.flatMap((f) => (!f.ok && satisfies(proves, f.proves ?? proves) ? [f] : [])));
    const what = proves === SIGNATURE ? "signature" : `attestation ${proves}`;
    if (bad === undefined) {
      return { image, digest, passed: false, failure: "missing", reason: `no ${what} is attached` };
    }
    return { image, digest, passed: false, failure: bad.failure, reason: bad.reason };
  }
  return { image, digest, passed: true, reason: passes.join("; ") };
}
