/**
 * A sigstore bundle attached as an OCI 1.1 referrer (artifactType
 * `application/vnd.dev.sigstore.bundle.v0.3+json`, as cosign 2.4+/3 write
 * them): checked fully offline by @sigstore/verify. A bundle with a public key
 * hint is checked with the policy's keys; one with a Fulcio certificate
 * against the trusted root (chain to a Fulcio root valid at the log's signed
 * time, the certificate transparency SCT, the Rekor entry's inclusion proof
 * and signed entry timestamp), then for the policy's identities. What it
 * signed must be the image: a DSSE in-toto statement about its digest, or a
 * message signature over its manifest.
 */
import { bundleFromJSON, type Bundle } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { PolicyError, Verifier, VerificationError, toSignedEntity, toTrustMaterial } from "@sigstore/verify";
import type { SignedEntity, Signer } from "@sigstore/verify";
import type { Descriptor } from "../oci/types.js";
import { jsonOf, readAttachedManifest, readSmallBlob, type CheckContext, keysSaid } from "./context.js";
import { COSIGN_SIGN_PREDICATE, SIGNATURE, type Finding } from "./findings.js";
import { isAbout, parseStatement } from "./statement.js";
import type { SignatureFailure } from "./types.js";

export const SIGSTORE_BUNDLE_PREFIX = "application/vnd.dev.sigstore.bundle";
const EMPTY_ROOT = { mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1" };

/** True for a referrer that holds a sigstore bundle. */
export function isSigstoreBundle(artifactType: string | undefined): boolean {
  return artifactType?.startsWith(SIGSTORE_BUNDLE_PREFIX) === true;
}

/** One finding per sigstore bundle layer of the referrer `d`. */
export async function checkSigstoreBundle(ctx: CheckContext, d: Descriptor): Promise<Finding[]> {
  const manifest = await readAttachedManifest(ctx, d);
  const layers = manifest.layers.filter((l) => l.mediaType.startsWith(SIGSTORE_BUNDLE_PREFIX));
  return await Promise.all(layers.map(async (layer) => checkBundle(ctx, await readSmallBlob(ctx, layer))));
}

function checkBundle(ctx: CheckContext, bytes: Buffer): Finding {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(jsonOf(bytes));
  } catch (err) {
    return {
      ok: false,
      failure: "bad-signature",
      reason: `its sigstore bundle is not valid: ${messageOf(err)}`,
    };
  }
  const content = contentOf(ctx, bundle);
  if (!content.ok) return content;
  const artifact = bundle.content.$case === "messageSignature" ? ctx.subjectBytes : undefined;
  const verified = verifySigstoreBundle(ctx, bundle, content.proves, artifact);
  if (!verified.ok) return verified;
  if (!content.about) {
    const reason = `its sigstore bundle (${content.proves}, ${verified.by}) is about another digest, not the image's ${ctx.subject}`;
    return { ok: false, proves: content.proves, failure: "digest-mismatch", reason };
  }
  return verified;
}

/** What the bundle proves (a signature, or an attestation's predicate type) and whether it is about the image. */
function contentOf(
  ctx: CheckContext,
  bundle: Bundle,
): { ok: true; proves: string; about: boolean } | Extract<Finding, { ok: false }> {
  if (bundle.content.$case === "messageSignature") return { ok: true, proves: SIGNATURE, about: true };
  const { payloadType, payload } = bundle.content.dsseEnvelope;
  const statement = parseStatement(payloadType, Buffer.from(payload));
  if (statement === undefined) {
    return { ok: false, failure: "bad-signature", reason: "its sigstore bundle holds no in-toto statement" };
  }
  const proves = statement.predicateType === COSIGN_SIGN_PREDICATE ? SIGNATURE : statement.predicateType;
  return { ok: true, proves, about: isAbout(statement, ctx.subject) };
}

/**
 * The bundle's signature checked (not what it signed): by the policy's keys for a public-key
 * hint, else keyless against the trusted root and the identities. `artifact`: the bytes a
 * message signature is over.
 */
export function verifySigstoreBundle(
  ctx: CheckContext,
  bundle: Bundle,
  proves: string,
  artifact: Buffer | undefined,
  what = "sigstore bundle",
): Finding {
  const entity = toSignedEntity(bundle, artifact);
  return bundle.verificationMaterial.content.$case === "publicKey"
    ? verifyWithKeys(ctx, entity, proves)
    : verifyKeyless(ctx, entity, proves, what);
}

function trustedRoot(ctx: CheckContext): TrustedRoot {
  return TrustedRoot.fromJSON(ctx.policy.trustedRoot ?? EMPTY_ROOT);
}

/**
 * A key-signed bundle: any policy key. Its log entries are checked against the
 * trusted root when one is given; without one they are not consulted (as cosign's
 * --insecure-ignore-tlog), since a key alone says nothing about a log.
 */
function verifyWithKeys(ctx: CheckContext, entity: SignedEntity, proves: string): Finding {
  const root = trustedRoot(ctx);
  const checked =
    ctx.policy.trustedRoot === undefined ? { ...entity, tlogEntries: [], timestamps: [] } : entity;
  let last: Extract<Finding, { ok: false }> | undefined;
  for (const { file, key } of ctx.policy.keys) {
    const material = toTrustMaterial(root, () => ({ publicKey: key, validFor: () => true }));
    const verifier = new Verifier(material, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
    const outcome = attempt(() => verifier.verify(checked));
    if (outcome.ok) return { ok: true, proves, by: `sigstore bundle by ${file}` };
    last = { ...outcome, proves };
    if (outcome.failure === "bad-signature") continue;
    return { ...outcome, proves, reason: `its sigstore bundle (by ${file}): ${outcome.reason}` };
  }
  const reason = `its sigstore bundle (${proves}) does not verify with ${keysSaid(ctx)}`;
  return last === undefined || last.failure === "bad-signature"
    ? { ok: false, proves, failure: "bad-signature", reason }
    : last;
}

/** A Fulcio-certified bundle: chain, SCT, log, then one of the policy's identities. */
function verifyKeyless(ctx: CheckContext, entity: SignedEntity, proves: string, what: string): Finding {
  if (ctx.policy.trustedRoot === undefined) {
    const reason = `its ${what} is keyless, and no trusted root was given (--trusted-root)`;
    return { ok: false, proves, failure: "untrusted-certificate", reason };
  }
  const verifier = new Verifier(toTrustMaterial(trustedRoot(ctx)));
  const signed = attempt(() => verifier.verify(entity));
  if (!signed.ok) return { ...signed, proves, reason: `its keyless ${what}: ${signed.reason}` };
  for (const identity of ctx.policy.identities) {
    const policy = { subjectAlternativeName: identity.subject, extensions: { issuer: identity.issuer } };
    if (attempt(() => verifier.verify(entity, policy)).ok) {
      return { ok: true, proves, by: `keyless ${what} by ${identity.subject} (${identity.issuer})` };
    }
  }
  const who = signerSaid(signed.signer);
  const reason =
    ctx.policy.identities.length === 0
      ? `its keyless ${what} is by ${who}, and no identity was given (--certificate-identity)`
      : `its keyless ${what} is by ${who}, not by an identity the policy names`;
  return { ok: false, proves, failure: "identity-mismatch", reason };
}

function signerSaid(signer: Signer): string {
  const san = signer.identity?.subjectAlternativeName ?? "an unnamed signer";
  const issuer = signer.identity?.extensions?.issuer;
  return issuer === undefined ? san : `${san} (${issuer})`;
}

type Attempt = { ok: true; signer: Signer } | { ok: false; failure: SignatureFailure; reason: string };

/** Runs a verification; its error, as a failure. */
function attempt(verify: () => Signer): Attempt {
  try {
    return { ok: true, signer: verify() };
  } catch (err) {
    if (err instanceof PolicyError) return { ok: false, failure: "identity-mismatch", reason: err.message };
    if (err instanceof VerificationError) {
      // The chain's own error says why ("expired", "no trusted root"): worth the words.
      const cause: unknown = err.cause;
      const why = cause instanceof Error ? `: ${cause.message}` : "";
      return { ok: false, failure: failureOf(err.code), reason: `${err.message}${why}` };
    }
    return { ok: false, failure: "bad-signature", reason: messageOf(err) };
  }
}

function failureOf(code: string): SignatureFailure {
  if (code === "CERTIFICATE_ERROR") return "untrusted-certificate";
  if (code.startsWith("TLOG_") || code === "TIMESTAMP_ERROR") return "tlog-invalid";
  return "bad-signature";
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
