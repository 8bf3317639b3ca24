/**
 * A test Fulcio, CT log and Rekor (from @sigstore/mock), in memory, and the
 * trusted_root.json that trusts them: keyless sigstore bundles made the way
 * cosign 3 makes them (a DSSE in-toto statement signed by an ephemeral key,
 * its certificate from Fulcio with the identity and issuer, a Rekor dsse
 * entry with its signed entry timestamp and inclusion proof), plus bundles
 * that must fail: another identity, a certificate expired at the log's time,
 * a certificate from an untrusted CA, a log proof that does not verify.
 * Keys are made per run (ECDSA signatures differ each time anyway).
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { bundleFromJSON } from "@sigstore/bundle";
import { dsse } from "@sigstore/core";
import { initializeCA, initializeCTLog, initializeTLog } from "@sigstore/mock";

export const BUNDLE_V03_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";
export const TRUSTED_ROOT_MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
const FULCIO_ISSUER_V2_OID = "1.3.6.1.4.1.57264.1.8";
const REKOR_URL = "https://rekor.airlock.test";

export interface KeylessIdentity {
  subject: string;
  issuer: string;
}

/** What can go wrong with a keyless bundle, on purpose. */
export type KeylessFault = "expired" | "untrusted" | "bad-log-proof" | "bad-inclusion-proof";

export interface TestSigstore {
  /** trusted_root.json's content: the test Fulcio root, the Rekor and CT log keys. */
  trustedRoot: object;
  /** A bundle (JSON) of a DSSE envelope over `statement`, signed keyless as `identity`. */
  signKeyless(statement: Buffer, identity: KeylessIdentity, fault?: KeylessFault): Promise<object>;
  /**
   * cosign 2's keyless `.sig` layer: a signature over `payload` by an ephemeral key, its Fulcio
   * certificate (PEM) and Rekor's answer for a hashedrekord entry, as cosign's annotations hold them.
   */
  signKeylessLegacy(
    payload: Buffer,
    identity: KeylessIdentity,
  ): Promise<{ signature: string; certificate: string; rekorBundle: string }>;
  /** A bundle (JSON) of a DSSE envelope over `statement`, signed by a key, with no log entry. */
  signWithKey(statement: Buffer, privateKey: KeyObject, hint: string): object;
}

type KeyPair = { publicKey: KeyObject; privateKey: KeyObject };
const ecKeyPair = (): KeyPair => generateKeyPairSync("ec", { namedCurve: "P-256" });
const spki = (key: KeyObject): Buffer => key.export({ format: "der", type: "spki" });
const bytesOf = (v: ArrayBufferView): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const b64 = (bytes: ArrayBufferView): string => bytesOf(bytes).toString("base64");
const sha256 = (bytes: Uint8Array): Buffer => createHash("sha256").update(bytes).digest();

/** The log instance entry of trusted_root.json for a log's public key. */
function logInstance(baseUrl: string, publicKey: Buffer, keyId: Buffer, start: string): object {
  return {
    baseUrl,
    hashAlgorithm: "SHA2_256",
    publicKey: { rawBytes: b64(publicKey), keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: { start } },
    logId: { keyId: b64(keyId) },
  };
}

const IN_TOTO = "application/vnd.in-toto+json";

/** What the mock Rekor answers for a new entry (Rekor v1's LogEntry). */
interface MockLogEntry {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification?: {
    signedEntryTimestamp?: string;
    inclusionProof?: {
      logIndex: number;
      treeSize: number;
      rootHash: string;
      hashes: string[];
      checkpoint: string;
    };
  };
}

/** Starts the test sigstore: a CA, a CT log and a transparency log, each with a fresh key. */
export async function startTestSigstore(): Promise<TestSigstore> {
  const start = new Date(Date.now() - 60_000).toISOString();
  const ctlog = await initializeCTLog(ecKeyPair());
  const ca = await initializeCA(ecKeyPair(), ctlog);
  const rogueCa = await initializeCA(ecKeyPair(), ctlog);
  const tlogKeys = ecKeyPair();
  const tlog = await initializeTLog(REKOR_URL, tlogKeys);
  // The same log, an hour on: its entries are signed at a time the certificates (ten minutes) have expired.
  const lateTlog = await initializeTLog(REKOR_URL, tlogKeys, new Date(Date.now() + 3600_000));
  const trustedRoot = {
    mediaType: TRUSTED_ROOT_MEDIA_TYPE,
    tlogs: [logInstance(REKOR_URL, tlog.publicKey, sha256(tlog.publicKey), start)],
    certificateAuthorities: [
      {
        subject: { organization: "sigstore.mock", commonName: "sigstore" },
        uri: "https://fulcio.airlock.test",
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor: { start },
      },
    ],
    ctlogs: [logInstance("https://ctfe.airlock.test", ctlog.publicKey, bytesOf(ctlog.logID), start)],
    timestampAuthorities: [],
  };

  async function signKeyless(
    statement: Buffer,
    identity: KeylessIdentity,
    fault?: KeylessFault,
  ): Promise<object> {
    const ephemeral = ecKeyPair();
    const issuing = fault === "untrusted" ? rogueCa : ca;
    const cert = await issuing.issueCertificate({
      publicKey: new Uint8Array(spki(ephemeral.publicKey)),
      subjectAltName: identity.subject,
      extensions: [{ oid: FULCIO_ISSUER_V2_OID, value: identity.issuer }],
    });
    const signature = sign("sha256", dsse.preAuthEncoding(IN_TOTO, statement), ephemeral.privateKey);
    const envelope = {
      payloadType: IN_TOTO,
      payload: b64(statement),
      signatures: [{ sig: b64(signature), keyid: "" }],
    };
    const certPem = `-----BEGIN CERTIFICATE-----\n${b64(cert)}\n-----END CERTIFICATE-----\n`;
    const body = {
      apiVersion: "0.0.1",
      kind: "dsse",
      spec: {
        envelopeHash: {
          algorithm: "sha256",
          value: sha256(Buffer.from(JSON.stringify(envelope))).toString("hex"),
        },
        payloadHash: { algorithm: "sha256", value: sha256(statement).toString("hex") },
        signatures: [{ signature: b64(signature), verifier: b64(Buffer.from(certPem)) }],
      },
    };
    const logged: unknown = await (fault === "expired" ? lateTlog : tlog).log(body);
    const entry = Object.values(logged as Record<string, MockLogEntry>)[0];
    if (entry === undefined) throw new Error("the test log returned no entry");
    const proof = entry.verification?.inclusionProof;
    let set = Buffer.from(entry.verification?.signedEntryTimestamp ?? "", "base64");
    if (fault === "bad-log-proof") set = Buffer.from(set.map((byte, i) => (i === 10 ? byte ^ 0xff : byte)));
    const tlogEntry = {
      logIndex: String(entry.logIndex),
      logId: { keyId: b64(Buffer.from(entry.logID, "hex")) },
      kindVersion: { kind: "dsse", version: "0.0.1" },
      integratedTime: String(entry.integratedTime),
      inclusionPromise: { signedEntryTimestamp: b64(set) },
      ...(proof === undefined
        ? {}
        : {
            inclusionProof: {
              logIndex: String(proof.logIndex),
              rootHash: b64(Buffer.from(proof.rootHash, "hex")),
              treeSize: String(proof.treeSize),
              hashes: proof.hashes.map((h) => b64(Buffer.from(h, "hex"))),
              // bad-inclusion-proof: the checkpoint claims a tree of another size than the log signed.
              checkpoint: {
                envelope:
                  fault === "bad-inclusion-proof"
                    ? proof.checkpoint.replace("\n1\n", "\n2\n")
                    : proof.checkpoint,
              },
            },
          }),
      canonicalizedBody: entry.body,
    };
    return checked({
      mediaType: BUNDLE_V03_MEDIA_TYPE,
      verificationMaterial: { certificate: { rawBytes: b64(cert) }, tlogEntries: [tlogEntry] },
      dsseEnvelope: envelope,
    });
  }

  async function signKeylessLegacy(
    payload: Buffer,
    identity: KeylessIdentity,
  ): Promise<{ signature: string; certificate: string; rekorBundle: string }> {
    const ephemeral = ecKeyPair();
    const cert = await ca.issueCertificate({
      publicKey: new Uint8Array(spki(ephemeral.publicKey)),
      subjectAltName: identity.subject,
      extensions: [{ oid: FULCIO_ISSUER_V2_OID, value: identity.issuer }],
    });
    const signature = b64(sign("sha256", payload, ephemeral.privateKey));
    const certificate = `-----BEGIN CERTIFICATE-----\n${b64(cert)}\n-----END CERTIFICATE-----\n`;
    const body = {
      apiVersion: "0.0.1",
      kind: "hashedrekord",
      spec: {
        data: { hash: { algorithm: "sha256", value: sha256(payload).toString("hex") } },
        signature: { content: signature, publicKey: { content: b64(Buffer.from(certificate)) } },
      },
    };
    const logged: unknown = await tlog.log(body);
    const entry = Object.values(logged as Record<string, MockLogEntry>)[0];
    if (entry === undefined) throw new Error("the test log returned no entry");
    const rekorBundle = JSON.stringify({
      SignedEntryTimestamp: entry.verification?.signedEntryTimestamp,
      Payload: {
        body: entry.body,
        integratedTime: entry.integratedTime,
        logIndex: entry.logIndex,
        logID: entry.logID,
      },
    });
    return { signature, certificate, rekorBundle };
  }

  function signWithKey(statement: Buffer, privateKey: KeyObject, hint: string): object {
    const signature = sign("sha256", dsse.preAuthEncoding(IN_TOTO, statement), privateKey);
    return checked({
      mediaType: BUNDLE_V03_MEDIA_TYPE,
      verificationMaterial: { publicKey: { hint }, tlogEntries: [] },
      dsseEnvelope: {
        payloadType: IN_TOTO,
        payload: b64(statement),
        signatures: [{ sig: b64(signature), keyid: "" }],
      },
    });
  }

  return { trustedRoot, signKeyless, signKeylessLegacy, signWithKey };
}

/** The bundle, after @sigstore/bundle accepts it as one. */
function checked(bundle: object): object {
  bundleFromJSON(bundle);
  return bundle;
}
