import { createHash } from "node:crypto";
import { AirlockError } from "../errors.js";

const DIGEST_PATTERN = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
const SHA256_HEX = /^[a-f0-9]{64}$/;

/** "sha256:<hex>" of the bytes. */
export function sha256Digest(bytes: Uint8Array): string {
  return "sha256:" + createHash("sha256").update(bytes).digest("hex");
}

/** Splits and checks a digest; only sha256 is supported for content. */
export function parseDigest(digest: string): { algorithm: "sha256"; hex: string } {
  const match = DIGEST_PATTERN.exec(digest);
  if (!match) {
    throw new AirlockError(
      "ERR_DIGEST_INVALID",
      `invalid digest "${digest}": expected sha256:<64 hex digits>`,
    );
  }
  const [, algorithm, hex] = match;
  if (algorithm !== "sha256") {
    throw new AirlockError(
      "ERR_DIGEST_INVALID",
      `unsupported digest algorithm "${algorithm}" in "${digest}": only sha256 is supported`,
    );
  }
  if (hex === undefined || !SHA256_HEX.test(hex)) {
    throw new AirlockError(
      "ERR_DIGEST_INVALID",
      `invalid digest "${digest}": expected sha256:<64 hex digits>`,
    );
  }
  return { algorithm, hex };
}

export function isValidDigest(digest: string): boolean {
  try {
    parseDigest(digest);
    return true;
  } catch {
    return false;
  }
}
