/**
 * One image against a policy: every signature, attestation and sigstore
 * bundle attached to its top manifest is checked, and the findings decide.
 */
import { isAirlockError } from "../errors.js";
import type { Descriptor } from "../oci/types.js";
import type { CheckContext } from "./context.js";
import { checkCosignAttestation } from "./cosign-attestation.js";
import { checkCosignSignature } from "./cosign-signature.js";
import { verdictOf, type Finding } from "./findings.js";
import { checkSigstoreBundle, isSigstoreBundle } from "./sigstore-bundle.js";
import type { AttachedDescriptor, ImageVerdict } from "./types.js";

/** The verdict on `image` (named so in messages) from what is attached to `ctx.subject`. */
export async function checkImage(
  ctx: CheckContext,
  image: string,
  attached: readonly AttachedDescriptor[],
): Promise<ImageVerdict> {
  const mine = attached.filter((a) => a.subject === ctx.subject);
  const findings = (await Promise.all(mine.map((a) => checkAttached(ctx, a)))).flat();
  return verdictOf(image, ctx.subject, findings, ctx.policy.attestations);
}

async function checkAttached(ctx: CheckContext, a: AttachedDescriptor): Promise<Finding[]> {
  const d: Descriptor = { mediaType: a.mediaType, digest: a.digest, size: a.size };
  try {
    if (a.kind === "cosign-sig") return await checkCosignSignature(ctx, d);
    if (a.kind === "cosign-att") return await checkCosignAttestation(ctx, d);
    if (a.kind === "referrer" && isSigstoreBundle(a.artifactType)) return await checkSigstoreBundle(ctx, d);
    return [];
  } catch (err) {
    // Recorded but not there (a bundle that does not carry it): as good as missing.
    if (isAirlockError(err) && (err.code === "ERR_NOT_FOUND" || err.code === "ERR_BUNDLE_CORRUPT")) {
      return [
        { ok: false, failure: "missing", reason: `its ${a.kind} ${a.digest} is not in ${ctx.source.name}` },
      ];
    }
    throw err;
  }
}
