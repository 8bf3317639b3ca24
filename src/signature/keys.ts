/**
 * Public keys for key-based signatures, read from PEM files, and the one way
 * each kind checks a signature over bytes as cosign makes it: ECDSA with the
 * curve's hash (DER signature), Ed25519 over the message itself, RSA PKCS#1
 * v1.5 with SHA-256. node:crypto does the verifying.
 */
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { AirlockError, fileErrorReason } from "../errors.js";

const EC_HASH: Record<string, string> = { prime256v1: "sha256", secp384r1: "sha384", secp521r1: "sha512" };

/**
 * The public key in a PEM file.
 * @throws AirlockError ERR_FILE when it cannot be read, ERR_USAGE when it holds no supported public key.
 */
export async function loadPublicKey(file: string): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await readFile(file, "utf8");
  } catch (err) {
    throw new AirlockError("ERR_FILE", `key ${file}: ${fileErrorReason(err)}`, { cause: err });
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    const what = `key ${file}: not a PEM public key (give the .pub file cosign generate-key-pair wrote)`;
    throw new AirlockError("ERR_USAGE", what, { cause: err });
  }
  if (describeKey(key) === undefined) {
    throw new AirlockError(
      "ERR_USAGE",
      `key ${file}: a ${key.asymmetricKeyType ?? "unknown"} key; airlock takes ECDSA (P-256, P-384, P-521), Ed25519 and RSA keys`,
    );
  }
  return key;
}

/** "ECDSA P-256", "Ed25519", "RSA"; undefined for a kind airlock does not check. */
export function describeKey(key: KeyObject): string | undefined {
  switch (key.asymmetricKeyType) {
    case "ec": {
      const curve = key.asymmetricKeyDetails?.namedCurve ?? "";
      return EC_HASH[curve] === undefined ? undefined : `ECDSA ${curveName(curve)}`;
    }
    case "ed25519":
      return "Ed25519";
    case "rsa":
      return "RSA";
    default:
      return undefined;
  }
}

function curveName(curve: string): string {
  return { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" }[curve] ?? curve;
}

/** True when `signature` is the key's signature over `data`, as cosign signs. */
export function verifiesWithKey(key: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    switch (key.asymmetricKeyType) {
      case "ec": {
        const hash = EC_HASH[key.asymmetricKeyDetails?.namedCurve ?? ""];
        return hash !== undefined && verify(hash, data, { key, dsaEncoding: "der" }, signature);
      }
      case "ed25519":
        return verify(null, data, key, signature);
      case "rsa":
        return verify("sha256", data, key, signature);
      default:
        return false;
    }
  } catch {
    // A signature of the wrong shape for the key (an RSA signature checked with an EC key) is no signature.
    return false;
  }
}
