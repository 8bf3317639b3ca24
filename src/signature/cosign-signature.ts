/**
 * cosign's `.sig` manifest: each layer a simple-signing payload whose
 * signature (base64) is the `dev.cosignproject.cosign/signature` annotation.
 * A layer passes when a policy key verifies its signature over the payload's
 * exact bytes and the payload's `critical.image.docker-manifest-digest` names
 * the image.
 */
import type { Descriptor } from "../oci/types.js";
import { jsonOf, readAttachedManifest, readSmallBlob, type CheckContext } from "./context.js";
import { SIGNATURE, type Finding } from "./findings.js";
import { verifiesWithKey } from "./keys.js";

export const SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
export const COSIGN_SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
const COSIGN_CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate";

/** One finding per signature layer of the `.sig` manifest `d`. */
export async function checkCosignSignature(ctx: CheckContext, d: Descriptor): Promise<Finding[]> {
  const manifest = await readAttachedManifest(ctx, d);
  const layers = manifest.layers.filter(
    (l) =>
      l.mediaType === SIMPLE_SIGNING_MEDIA_TYPE && l.annotations?.[COSIGN_SIGNATURE_ANNOTATION] !== undefined,
  );
  return await Promise.all(layers.map((layer) => checkLayer(ctx, layer)));
}

async function checkLayer(ctx: CheckContext, layer: Descriptor): Promise<Finding> {
  const payload = await readSmallBlob(ctx, layer);
  const signature = Buffer.from(layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION] ?? "", "base64");
  const signer = ctx.policy.keys.find(({ key }) => verifiesWithKey(key, payload, signature));
  if (signer === undefined) {
    const keyless = layer.annotations?.[COSIGN_CERTIFICATE_ANNOTATION] !== undefined;
    const reason = keyless
      ? "its cosign .sig is keyless (a certificate annotation): airlock checks keyless signatures in sigstore bundles"
      : `its cosign .sig does not verify with ${keysSaid(ctx)}`;
    return { ok: false, proves: SIGNATURE, failure: "bad-signature", reason };
  }
  const named = namedDigest(jsonOf(payload));
  if (named !== ctx.subject) {
    const reason = `its cosign .sig (by ${signer.file}) names ${named ?? "no digest"}, not the image's ${ctx.subject}`;
    return { ok: false, proves: SIGNATURE, failure: "digest-mismatch", reason };
  }
  return { ok: true, proves: SIGNATURE, by: `cosign .sig by ${signer.file}` };
}

/** `critical.image.docker-manifest-digest` of a simple-signing payload. */
function namedDigest(payload: unknown): string | undefined {
  const critical = (payload as { critical?: { image?: { "docker-manifest-digest"?: unknown } } } | null)
    ?.critical;
  const digest = critical?.image?.["docker-manifest-digest"];
  return typeof digest === "string" ? digest : undefined;
}

export function keysSaid(ctx: CheckContext): string {
  const keys = ctx.policy.keys;
  if (keys.length === 0) return "no key (give --key)";
  return keys.length === 1 ? (keys[0]?.file ?? "") : `any of ${keys.length} keys`;
}
