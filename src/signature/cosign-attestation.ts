/**
 * cosign's `.att` manifest: each layer a DSSE envelope holding an in-toto
 * statement, signed by a key. A layer passes when a policy key verifies one
 * of the envelope's signatures over DSSE's pre-authentication encoding and
 * the statement's subject is the image.
 */
import { dsse } from "@sigstore/core";
import type { Descriptor } from "../oci/types.js";
import { jsonOf, readAttachedManifest, readSmallBlob, type CheckContext, keysSaid } from "./context.js";
import type { Finding } from "./findings.js";
import { verifiesWithKey } from "./keys.js";
import { isAbout, parseStatement } from "./statement.js";

export const DSSE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json";

interface Envelope {
  payloadType: string;
  payload: Buffer;
  signatures: Buffer[];
}

/** One finding per DSSE layer of the `.att` manifest `d`. */
export async function checkCosignAttestation(ctx: CheckContext, d: Descriptor): Promise<Finding[]> {
  const manifest = await readAttachedManifest(ctx, d);
  const layers = manifest.layers.filter((l) => l.mediaType === DSSE_MEDIA_TYPE);
  return await Promise.all(layers.map(async (layer) => checkEnvelope(ctx, await readSmallBlob(ctx, layer))));
}

function checkEnvelope(ctx: CheckContext, bytes: Buffer): Finding {
  const envelope = envelopeOf(jsonOf(bytes));
  const statement = envelope && parseStatement(envelope.payloadType, envelope.payload);
  if (envelope === undefined || statement === undefined) {
    return { ok: false, failure: "bad-signature", reason: "its cosign .att is not a DSSE in-toto statement" };
  }
  const proves = statement.predicateType;
  const pae = dsse.preAuthEncoding(envelope.payloadType, envelope.payload);
  const signer = ctx.policy.keys.find(({ key }) =>
    envelope.signatures.some((sig) => verifiesWithKey(key, pae, sig)),
  );
  if (signer === undefined) {
    const reason = `its cosign .att (${proves}) does not verify with ${keysSaid(ctx)}`;
    return { ok: false, proves, failure: "bad-signature", reason };
  }
  if (!isAbout(statement, ctx.subject)) {
    const reason = `its cosign .att (${proves}, by ${signer.file}) is about another digest, not the image's ${ctx.subject}`;
    return { ok: false, proves, failure: "digest-mismatch", reason };
  }
  return { ok: true, proves, by: `cosign .att ${proves} by ${signer.file}` };
}

function envelopeOf(json: unknown): Envelope | undefined {
  const e = json as { payloadType?: unknown; payload?: unknown; signatures?: unknown } | undefined;
  if (typeof e !== "object" || e === null) return undefined;
  if (typeof e.payloadType !== "string" || typeof e.payload !== "string" || !Array.isArray(e.signatures)) {
    return undefined;
  }
  const signatures = (e.signatures as { sig?: unknown }[]).flatMap((s) =>
    typeof s?.sig === "string" ? [Buffer.from(s.sig, "base64")] : [],
  );
  return { payloadType: e.payloadType, payload: Buffer.from(e.payload, "base64"), signatures };
}
