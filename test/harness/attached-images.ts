/**
 * Content attached to a fixture image, built deterministically: cosign's
 * `.sig` (simple-signing payload), `.att` (DSSE envelope) and `.sbom` tags,
 * and OCI 1.1 referrers (manifests with `subject` and `artifactType`) listed
 * in the referrers API's fallback tag `sha256-<hex>` (Distribution 2.8 has no
 * referrers API). Without a signer, signature bytes are placeholders that verify
 * with nothing (fixtures/signed:v1); signed-images.ts passes real signers.
 */
import { dsse } from "@sigstore/core";
import { MediaType } from "../../src/oci/media-types.js";
import type { ImageManifest, Index } from "../../src/oci/types.js";
import {
  descriptorOf,
  jsonBlob,
  toBlob,
  type Blob,
  type BuiltImage,
  type BuiltIndex,
} from "./image-builder.js";

export const SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
export const COSIGN_SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
export const DSSE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json";
export const SPDX_MEDIA_TYPE = "text/spdx+json";
export const SBOM_ARTIFACT_TYPE = "application/spdx+json";
export const SCAN_ARTIFACT_TYPE = "application/vnd.airlock.test.scan+json";

/** A manifest the fixture tags or lists, with what it references. */
export type AttachedManifest = BuiltImage;

const EMPTY = { ...toBlob(Buffer.from("{}")), mediaType: MediaType.OciEmpty };
const NO_PLATFORM = { architecture: "", os: "" };
const hex = (digest: string): string => digest.slice("sha256:".length);
const preAuthEncoding = (payloadType: string, payload: Buffer): Buffer =>
  dsse.preAuthEncoding(payloadType, payload);

/** cosign's config for a tag manifest: its one layer's diff id, nothing else. */
function cosignConfig(layer: Blob): Blob & { mediaType: string } {
  const config = jsonBlob({
    architecture: "",
    config: {},
    created: "0001-01-01T00:00:00Z",
    history: [{ created: "0001-01-01T00:00:00Z" }],
    os: "",
    rootfs: { type: "layers", diff_ids: [layer.digest] },
  });
  return { ...config, mediaType: MediaType.OciConfig };
}

function manifestOver(
  config: Blob & { mediaType: string },
  layer: Blob & { mediaType: string; annotations?: Record<string, string> },
  extra: Partial<ImageManifest> = {},
): AttachedManifest {
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    ...(extra.artifactType !== undefined ? { artifactType: extra.artifactType } : {}),
    config: descriptorOf(config.mediaType, config),
    layers: [descriptorOf(layer.mediaType, layer, layer.annotations)],
    ...(extra.subject !== undefined ? { subject: extra.subject } : {}),
    ...(extra.annotations !== undefined ? { annotations: extra.annotations } : {}),
  };
  const blob = jsonBlob(manifest);
  return {
    kind: "image",
    mediaType: MediaType.OciManifest,
    platform: NO_PLATFORM,
    config: toBlob(config.bytes),
    layers: [layer],
    ...blob,
  };
}

/** Signs bytes as cosign does with a key; the signature in base64. */
export type FixtureSigner = (data: Buffer) => string;

/** How a fixture signature is made: by a key, and (for tests that must fail) with its payload altered after signing. */
export interface SignOptions {
  sign?: FixtureSigner;
  /** Annotations of the signature layer besides the signature (cosign's keyless certificate and Rekor bundle). */
  annotations?: Record<string, string>;
  /** The payload stored is not the one signed (a field changed afterwards). */
  tamper?: boolean;
}

/** cosign's simple-signing payload naming `subject`. */
export function simpleSigningPayload(repository: string, subject: string): Blob {
  return jsonBlob({
    critical: {
      identity: { "docker-reference": repository },
      image: { "docker-manifest-digest": subject },
      type: "cosign container image signature",
    },
    optional: null,
  });
}

/**
 * cosign's `.sig` manifest: a simple-signing payload naming `subject`, signed by
 * `options.sign` (default: a placeholder signature that verifies with nothing).
 */
export function buildCosignSignature(
  repository: string,
  subject: string,
  options: SignOptions = {},
): AttachedManifest {
  const signed = simpleSigningPayload(repository, subject);
  const payload = options.tamper === true ? simpleSigningPayload(`${repository}-tampered`, subject) : signed;
  const signature =
    options.sign?.(signed.bytes) ??
    Buffer.from(`placeholder signature over ${payload.digest}`).toString("base64");
  const layer = {
    ...payload,
    mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
    annotations: { [COSIGN_SIGNATURE_ANNOTATION]: signature, ...options.annotations },
  };
  return manifestOver(cosignConfig(layer), layer);
}

/** An in-toto statement (SLSA provenance v1) about `subject`. */
export function provenanceStatement(repository: string, subject: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name: repository, digest: { sha256: hex(subject) } }],
      predicateType: "https://slsa.dev/provenance/v1",
      predicate: { buildDefinition: { buildType: "https://airlock.dev/test-fixtures" } },
    }),
  );
}

/**
 * cosign's `.att` manifest: an in-toto statement about `subject` in a DSSE envelope,
 * signed over DSSE's pre-authentication encoding by `sign` (default: a placeholder).
 */
export function buildCosignAttestation(
  repository: string,
  subject: string,
  sign?: (pae: Buffer) => string,
): AttachedManifest {
  const predicateType = "https://slsa.dev/provenance/v1";
  const payloadType = "application/vnd.in-toto+json";
  const payload = provenanceStatement(repository, subject);
  const sig = sign?.(preAuthEncoding(payloadType, payload)) ?? Buffer.from("placeholder").toString("base64");
  const envelope = jsonBlob({
    payloadType,
    payload: payload.toString("base64"),
    signatures: [{ keyid: "", sig }],
  });
  const layer = { ...envelope, mediaType: DSSE_MEDIA_TYPE, annotations: { predicateType } };
  return manifestOver(cosignConfig(layer), layer);
}

function spdxDocument(repository: string, subject: string): Blob {
  return jsonBlob({
    spdxVersion: "SPDX-2.3",
    dataLicense: "CC0-1.0",
    SPDXID: "SPDXRef-DOCUMENT",
    name: `${repository}@${subject}`,
    documentNamespace: `https://airlock.dev/test-fixtures/${hex(subject)}`,
    creationInfo: { created: "2024-01-01T00:00:00Z", creators: ["Tool: airlock-test-fixtures"] },
    packages: [{ SPDXID: "SPDXRef-app", name: "app", versionInfo: "1", downloadLocation: "NOASSERTION" }],
  });
}

/** cosign's `.sbom` manifest: an SPDX document as its one layer. */
export function buildCosignSbom(repository: string, subject: string): AttachedManifest {
  const layer = { ...spdxDocument(repository, subject), mediaType: SPDX_MEDIA_TYPE };
  return manifestOver(cosignConfig(layer), layer);
}

/** An OCI 1.1 referrer of `subject`: the empty config, one layer, `artifactType` and `subject`. */
export function buildReferrer(
  subject: { digest: string; size: number; mediaType: string },
  artifactType: string,
  layer: Blob & { mediaType: string },
  annotations: Record<string, string> = {},
): AttachedManifest {
  return manifestOver(EMPTY, layer, {
    artifactType,
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: { ...annotations, "org.opencontainers.image.created": "2024-01-01T00:00:00Z" },
  });
}

/** An SPDX SBOM referrer and a scan-report referrer of `subject`. */
export function buildReferrers(
  repository: string,
  subject: { digest: string; size: number; mediaType: string },
): { sbom: AttachedManifest; scan: AttachedManifest } {
  const sbomLayer = { ...spdxDocument(repository, subject.digest), mediaType: SBOM_ARTIFACT_TYPE };
  const report = jsonBlob({ scanner: "airlock-test-fixtures", subject: subject.digest, findings: [] });
  return {
    sbom: buildReferrer(subject, SBOM_ARTIFACT_TYPE, sbomLayer),
    scan: buildReferrer(subject, SCAN_ARTIFACT_TYPE, { ...report, mediaType: SCAN_ARTIFACT_TYPE }),
  };
}

/** The fallback tag's index: every referrer with its artifactType and annotations. */
export function buildReferrersIndex(referrers: AttachedManifest[]): BuiltIndex {
  const index: Index = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: referrers.map((r) => {
      const parsed = JSON.parse(r.bytes.toString("utf8")) as ImageManifest;
      return {
        ...descriptorOf(r.mediaType, r, parsed.annotations),
        ...(parsed.artifactType !== undefined ? { artifactType: parsed.artifactType } : {}),
      };
    }),
  };
  return { kind: "index", mediaType: MediaType.OciIndex, children: referrers, ...jsonBlob(index) };
}
