/**
 * cosign's keyless `.sig` (cosign 1 and 2's default): the signature layer
 * carries its Fulcio certificate (`dev.sigstore.cosign/certificate`, PEM) and
 * Rekor's answer (`dev.sigstore.cosign/bundle`: the signed entry timestamp and
 * the entry's body, time, index and log id). Those make a sigstore bundle
 * v0.1 with a message signature over the payload, which @sigstore/verify
 * checks like any keyless bundle: chain, SCT, log promise, identity.
 */
import { createHash } from "node:crypto";
import { bundleFromJSON, type Bundle } from "@sigstore/bundle";
import { pem } from "@sigstore/core";
import type { Descriptor } from "../oci/types.js";
import { jsonOf } from "./context.js";

export const COSIGN_CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate";
const COSIGN_REKOR_BUNDLE_ANNOTATION = "dev.sigstore.cosign/bundle";
const BUNDLE_V01_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle+json;version=0.1";

interface RekorBundle {
  SignedEntryTimestamp: string;
  Payload: { body: string; integratedTime: number; logIndex: number; logID: string };
}

/** True when the layer is a keyless signature (it carries a certificate). */
export function isKeylessLayer(layer: Descriptor): boolean {
  return layer.annotations?.[COSIGN_CERTIFICATE_ANNOTATION] !== undefined;
}

/**
 * The sigstore bundle the layer's annotations amount to; a string saying what is wrong when
 * they do not make one (no Rekor bundle, a certificate that is not PEM).
 */
export function keylessBundleOf(layer: Descriptor, payload: Buffer, signature: Buffer): Bundle | string {
  const annotations = layer.annotations ?? {};
  const rekor = jsonOf(Buffer.from(annotations[COSIGN_REKOR_BUNDLE_ANNOTATION] ?? "")) as
    RekorBundle | undefined;
  if (rekor?.Payload === undefined || typeof rekor.SignedEntryTimestamp !== "string") {
    return "its keyless cosign .sig has no Rekor bundle annotation (dev.sigstore.cosign/bundle), so nothing proves its time offline";
  }
  const body = jsonOf(Buffer.from(rekor.Payload.body, "base64")) as
    { kind?: unknown; apiVersion?: unknown } | undefined;
  try {
    return bundleFromJSON({
      mediaType: BUNDLE_V01_MEDIA_TYPE,
      verificationMaterial: {
        x509CertificateChain: {
          certificates: [
            { rawBytes: pem.toDER(annotations[COSIGN_CERTIFICATE_ANNOTATION] ?? "").toString("base64") },
          ],
        },
        tlogEntries: [
          {
            logIndex: String(rekor.Payload.logIndex),
            logId: { keyId: Buffer.from(rekor.Payload.logID, "hex").toString("base64") },
            kindVersion: { kind: textOf(body?.kind), version: textOf(body?.apiVersion) },
            integratedTime: String(rekor.Payload.integratedTime),
            inclusionPromise: { signedEntryTimestamp: rekor.SignedEntryTimestamp },
            canonicalizedBody: rekor.Payload.body,
          },
        ],
        timestampVerificationData: { rfc3161Timestamps: [] },
      },
      messageSignature: {
        messageDigest: {
          algorithm: "SHA2_256",
          digest: createHash("sha256").update(payload).digest("base64"),
        },
        signature: signature.toString("base64"),
      },
    });
  } catch (err) {
    return `its keyless cosign .sig does not make a sigstore bundle: ${err instanceof Error ? err.message : String(err)}`;
  }
}

const textOf = (v: unknown): string => (typeof v === "string" ? v : "");
