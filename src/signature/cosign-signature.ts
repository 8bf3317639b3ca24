/**
 * cosign's `.sig` manifest: each layer a simple-signing payload whose
 * signature (base64) is the `dev.cosignproject.cosign/signature` annotation.
 * A layer passes when a policy key verifies its signature over the payload's
 * exact bytes and the payload's `critical.image.docker-manifest-digest` names
 * the image.
 */
import type { Descriptor } from "../oci/types.js";
import { jsonOf, readAttachedManifest, readSmallBlob, type CheckContext, keysSaid } from "./context.js";
import { SIGNATURE, type Finding } from "./findings.js";
import { isKeylessLayer, keylessBundleOf } from "./cosign-keyless.js";
import { verifiesWithKey } from "./keys.js";
import { verifySigstoreBundle } from "./sigstore-bundle.js";

export const SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
export const COSIGN_SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";

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
  const verified = isKeylessLayer(layer)
    ? checkKeyless(ctx, layer, payload, signature)
    : checkWithKeys(ctx, payload, signature);
  if (!verified.ok) return verified;
  const named = namedDigest(jsonOf(payload));
  if (named !== ctx.subject) {
    const reason = `its ${verified.by} names ${named ?? "no digest"}, not the image's ${ctx.subject}`;
    return { ok: false, proves: SIGNATURE, failure: "digest-mismatch", reason };
  }
  return verified;
}

function checkWithKeys(ctx: CheckContext, payload: Buffer, signature: Buffer): Finding {
  const signer = ctx.policy.keys.find(({ key }) => verifiesWithKey(key, payload, signature));
  if (signer === undefined) {
    const reason = `its cosign .sig does not verify with ${keysSaid(ctx)}`;
    return { ok: false, proves: SIGNATURE, failure: "bad-signature", reason };
  }
  return { ok: true, proves: SIGNATURE, by: `cosign .sig by ${signer.file}` };
}

function checkKeyless(ctx: CheckContext, layer: Descriptor, payload: Buffer, signature: Buffer): Finding {
  const bundle = keylessBundleOf(layer, payload, signature);
  if (typeof bundle === "string")
    return { ok: false, proves: SIGNATURE, failure: "tlog-invalid", reason: bundle };
  return verifySigstoreBundle(ctx, bundle, SIGNATURE, payload, "cosign .sig");
}

/** `critical.image.docker-manifest-digest` of a simple-signing payload. */
function namedDigest(payload: unknown): string | undefined {
  const critical = (payload as { critical?: { image?: { "docker-manifest-digest"?: unknown } } } | null)
    ?.critical;
  const digest = critical?.image?.["docker-manifest-digest"];
  return typeof digest === "string" ? digest : undefined;
}
