/**
 * The JWTs Distribution's token auth accepts: ES256 over P-256 with a raw
 * r||s signature, and a libtrust key ID in the header so the registry finds
 * the key in its rootcertbundle.
 */
import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";

/** One `access` claim entry; also the parsed form of a `type:name:actions` scope. */
export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** libtrust key ID of the public key. */
  kid: string;
}

export interface TokenClaims {
  issuer: string;
  audience: string;
  subject: string;
  access: AccessEntry[];
  expiresInSeconds: number;
}

const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function createSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { privateKey, publicKey, kid: libtrustKeyId(publicKey) };
}

/** SHA-256 of the DER SubjectPublicKeyInfo, first 30 bytes, base32, 12 groups of 4 joined by ':'. */
export function libtrustKeyId(publicKey: KeyObject): string {
  const spki = publicKey.export({ type: "spki", format: "der" });
  const digest = createHash("sha256").update(spki).digest().subarray(0, 30);
  return (base32(digest).match(/.{4}/g) ?? []).join(":");
}

export function signToken(key: SigningKey, claims: TokenClaims): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: "JWT", alg: "ES256", kid: key.kid };
  const payload = {
    iss: claims.issuer,
    sub: claims.subject,
    aud: claims.audience,
    exp: now + claims.expiresInSeconds,
    nbf: now,
    iat: now,
    jti: randomUUID(),
    access: claims.access,
  };
  const signingInput = `${encodeSegment(header)}.${encodeSegment(payload)}`;
  const signature = sign("sha256", Buffer.from(signingInput), {
    key: key.privateKey,
    dsaEncoding: "ieee-p1363",
  });
  return `${signingInput}.${signature.toString("base64url")}`;
}

/** Parses `repository:name:pull,push`; the name may itself contain ':'. */
export function parseScope(scope: string): AccessEntry | undefined {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first <= 0 || last === first) return undefined;
  const actions = scope
    .slice(last + 1)
    .split(",")
    .filter((action) => action !== "");
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

function encodeSegment(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** RFC 4648 base32 without padding. */
function base32(bytes: Uint8Array): string {
  let output = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      output += BASE32_ALPHABET.charAt((buffer >>> (bits - 5)) & 31);
      bits -= 5;
    }
  }
  if (bits > 0) output += BASE32_ALPHABET.charAt((buffer << (5 - bits)) & 31);
  return output;
}
