/**
 * The committed generator of really signed fixture images, one repository per
 * case under sig/, each a small single-platform image with what is attached to
 * it: cosign key signatures (ECDSA P-256, Ed25519, RSA) over a correct
 * simple-signing payload, an SLSA provenance statement in a DSSE envelope as
 * the .att, an SPDX SBOM as the .sbom, sigstore-bundle referrers (artifactType
 * application/vnd.dev.sigstore.bundle.v0.3+json, as cosign 3 writes them)
 * signed by a key and keyless against a test Fulcio/Rekor, cosign 2's keyless
 * .sig (certificate and Rekor bundle annotations), and the cases that
 * must fail. Keys and the test sigstore are made per run and written as PEM and
 * trusted_root.json files; fixtures/signed:v1 (placeholder signatures) is not touched.
 */
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { jsonBlob, buildImage, buildLayer, type BuiltImage, type BuiltNode } from "./image-builder.js";
import {
  buildCosignAttestation,
  buildCosignSbom,
  buildCosignSignature,
  buildReferrer,
  buildReferrersIndex,
  provenanceStatement,
  simpleSigningPayload,
  type AttachedManifest,
} from "./attached-images.js";
import { digestTag, LINUX_AMD64 } from "./fixture-images.js";
import { pushNode } from "./fixture-push.js";
import {
  BUNDLE_V03_MEDIA_TYPE,
  startTestSigstore,
  type KeylessFault,
  type KeylessIdentity,
} from "./test-sigstore.js";

export const IDENTITY: KeylessIdentity = {
  subject: "https://github.com/airlock-test/app/.github/workflows/release.yml@refs/heads/main",
  issuer: "https://token.actions.githubusercontent.com",
};
export const OTHER_IDENTITY: KeylessIdentity = {
  subject: "https://github.com/someone-else/app/.github/workflows/release.yml@refs/heads/main",
  issuer: "https://token.actions.githubusercontent.com",
};
export const COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1";

/** The kinds of test key, each written as `<kind>.pub` (and a stranger's `other.pub`). */
export type KeyKind = "ecdsa" | "ed25519" | "rsa" | "other";

/** The case names: repository sig/<name>, tag v1. */
export const SIGNED_CASES = [
  "ecdsa",
  "ed25519",
  "rsa",
  "tampered",
  "other-digest",
  "unsigned",
  "key-bundle",
  "keyless",
  "keyless-other",
  "keyless-expired",
  "keyless-untrusted",
  "keyless-bad-log",
  "keyless-bad-proof",
  "keyless-sig",
] as const;
export type SignedCase = (typeof SIGNED_CASES)[number];

export interface SignedImage {
  name: string;
  tag: string;
  image: BuiltImage;
  /** Pushed beside it: tag → manifest (cosign tags, the referrers fallback index). */
  tagged: { tag: string; node: BuiltNode }[];
}

export interface SignedImages {
  images: Record<SignedCase, SignedImage>;
  /** PEM public key files, by kind. */
  keyFiles: Record<KeyKind, string>;
  /** The test sigstore's trusted_root.json. */
  trustedRootFile: string;
}

interface Signers {
  keys: Record<KeyKind, { publicKey: KeyObject; privateKey: KeyObject }>;
  sigstore: Awaited<ReturnType<typeof startTestSigstore>>;
}

/** cosign's way with each kind of key: ECDSA and RSA over SHA-256, Ed25519 over the message. */
function signerOf(kind: KeyKind, signers: Signers): (data: Buffer) => string {
  const { privateKey } = signers.keys[kind];
  return (data) => sign(kind === "ed25519" ? null : "sha256", data, privateKey).toString("base64");
}

function cosignSignStatement(name: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name, digest: { sha256: digest.slice("sha256:".length) } }],
      predicateType: COSIGN_SIGN_PREDICATE,
      predicate: {},
    }),
  );
}

/** A sigstore bundle as cosign 3 attaches it: an OCI 1.1 referrer of the image. */
function bundleReferrer(image: BuiltImage, bundle: object, predicateType: string): AttachedManifest {
  const layer = { ...jsonBlob(bundle), mediaType: BUNDLE_V03_MEDIA_TYPE };
  return buildReferrer(image, BUNDLE_V03_MEDIA_TYPE, layer, {
    "dev.sigstore.bundle.content": "dsse-envelope",
    "dev.sigstore.bundle.predicateType": predicateType,
  });
}

const referrersOf = (image: BuiltImage, referrers: AttachedManifest[]): { tag: string; node: BuiltNode } => ({
  tag: digestTag(image.digest),
  node: buildReferrersIndex(referrers),
});

async function keylessCase(
  name: string,
  image: BuiltImage,
  signers: Signers,
  identity: KeylessIdentity,
  fault?: KeylessFault,
): Promise<{ tag: string; node: BuiltNode }[]> {
  const statement = cosignSignStatement(name, image.digest);
  const bundle = await signers.sigstore.signKeyless(statement, identity, fault);
  const referrers = [bundleReferrer(image, bundle, COSIGN_SIGN_PREDICATE)];
  if (fault === undefined && identity === IDENTITY) {
    const provenance = await signers.sigstore.signKeyless(provenanceStatement(name, image.digest), identity);
    referrers.push(bundleReferrer(image, provenance, "https://slsa.dev/provenance/v1"));
  }
  return [referrersOf(image, referrers)];
}

async function attachedFor(
  which: SignedCase,
  name: string,
  image: BuiltImage,
  signers: Signers,
  others: { digest: string },
): Promise<{ tag: string; node: BuiltNode }[]> {
  const sigTag = digestTag(image.digest, "sig");
  const ecdsa = signerOf("ecdsa", signers);
  switch (which) {
    case "ecdsa":
      return [
        { tag: sigTag, node: buildCosignSignature(name, image.digest, { sign: ecdsa }) },
        { tag: digestTag(image.digest, "att"), node: buildCosignAttestation(name, image.digest, ecdsa) },
        { tag: digestTag(image.digest, "sbom"), node: buildCosignSbom(name, image.digest) },
      ];
    case "ed25519":
    case "rsa":
      return [
        { tag: sigTag, node: buildCosignSignature(name, image.digest, { sign: signerOf(which, signers) }) },
      ];
    case "tampered":
      return [{ tag: sigTag, node: buildCosignSignature(name, image.digest, { sign: ecdsa, tamper: true }) }];
    case "other-digest":
      return [{ tag: sigTag, node: buildCosignSignature(name, others.digest, { sign: ecdsa }) }];
    case "unsigned":
      return [];
    case "key-bundle": {
      const statement = cosignSignStatement(name, image.digest);
      const bundle = signers.sigstore.signWithKey(statement, signers.keys.ecdsa.privateKey, "ecdsa");
      return [referrersOf(image, [bundleReferrer(image, bundle, COSIGN_SIGN_PREDICATE)])];
    }
    case "keyless":
      return keylessCase(name, image, signers, IDENTITY);
    case "keyless-other":
      return keylessCase(name, image, signers, OTHER_IDENTITY);
    case "keyless-expired":
      return keylessCase(name, image, signers, IDENTITY, "expired");
    case "keyless-untrusted":
      return keylessCase(name, image, signers, IDENTITY, "untrusted");
    case "keyless-bad-log":
      return keylessCase(name, image, signers, IDENTITY, "bad-log-proof");
    case "keyless-bad-proof":
      return keylessCase(name, image, signers, IDENTITY, "bad-inclusion-proof");
    case "keyless-sig": {
      const payload = simpleSigningPayload(name, image.digest).bytes;
      const legacy = await signers.sigstore.signKeylessLegacy(payload, IDENTITY);
      const annotations = {
        "dev.sigstore.cosign/certificate": legacy.certificate,
        "dev.sigstore.cosign/bundle": legacy.rekorBundle,
      };
      const node = buildCosignSignature(name, image.digest, { sign: () => legacy.signature, annotations });
      return [{ tag: sigTag, node }];
    }
  }
}

function makeKeys(): Signers["keys"] {
  return {
    ecdsa: generateKeyPairSync("ec", { namedCurve: "P-256" }),
    ed25519: generateKeyPairSync("ed25519"),
    rsa: generateKeyPairSync("rsa", { modulusLength: 2048 }),
    other: generateKeyPairSync("ec", { namedCurve: "P-256" }),
  };
}

/** Builds every case and writes the test keys and trusted_root.json into `dir`. */
export async function buildSignedImages(dir: string): Promise<SignedImages> {
  await mkdir(dir, { recursive: true });
  const signers: Signers = { keys: makeKeys(), sigstore: await startTestSigstore() };
  const keyFiles = {} as Record<KeyKind, string>;
  for (const [kind, pair] of Object.entries(signers.keys)) {
    const file = join(dir, `${kind}.pub`);
    await writeFile(file, pair.publicKey.export({ format: "pem", type: "spki" }));
    keyFiles[kind as KeyKind] = file;
  }
  const trustedRootFile = join(dir, "trusted_root.json");
  await writeFile(trustedRootFile, JSON.stringify(signers.sigstore.trustedRoot, null, 2));
  const base = await buildLayer([
    { path: "etc/" },
    { path: "etc/os-release", content: "ID=airlock-signed\n" },
  ]);
  const built = await Promise.all(
    SIGNED_CASES.map(async (which) => {
      const app = await buildLayer([{ path: "app/" }, { path: "app/CASE", content: `${which}\n` }]);
      return buildImage("oci", LINUX_AMD64, [base, app], {
        labels: { "org.opencontainers.image.title": which },
      });
    }),
  );
  const images = {} as Record<SignedCase, SignedImage>;
  const other = built[0] as BuiltImage;
  for (const [i, which] of SIGNED_CASES.entries()) {
    const image = built[i] as BuiltImage;
    const name = `sig/${which}`;
    images[which] = { name, tag: "v1", image, tagged: await attachedFor(which, name, image, signers, other) };
  }
  return { images, keyFiles, trustedRootFile };
}

/** Pushes every case, its attached manifests after it. */
export async function pushSignedImages(baseUrl: string, signed: SignedImages): Promise<void> {
  for (const entry of Object.values(signed.images)) {
    await pushNode(baseUrl, entry.name, entry.image, [entry.tag]);
    for (const t of entry.tagged) await pushNode(baseUrl, entry.name, t.node, [t.tag]);
  }
}
