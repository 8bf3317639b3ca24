/** A signature policy's files read: keys, the trusted root, attestation names as predicate types. */
import { readFile } from "node:fs/promises";
import { AirlockError, fileErrorReason } from "../errors.js";
import { predicateTypeOf } from "./attestation-types.js";
import { loadPublicKey } from "./keys.js";
import type { LoadedPolicy, SignaturePolicy } from "./types.js";

/**
 * Reads what the policy names.
 * @throws AirlockError ERR_USAGE for a policy that names no key and no identity, or
 *   identities without a trusted root; ERR_FILE for a file that cannot be read.
 */
export async function loadPolicy(policy: SignaturePolicy): Promise<LoadedPolicy> {
  const keyFiles = policy.keys ?? [];
  const identities = policy.identities ?? [];
  if (keyFiles.length === 0 && identities.length === 0) {
    throw new AirlockError(
      "ERR_USAGE",
      "a signature policy needs a key (--key KEY.pub) or a keyless identity (--certificate-identity with --certificate-oidc-issuer)",
    );
  }
  if (identities.length > 0 && policy.trustedRoot === undefined) {
    throw new AirlockError(
      "ERR_USAGE",
      "keyless identities are checked against a trusted root: give --trusted-root trusted_root.json",
    );
  }
  const attestations = (policy.attestations ?? []).map(predicateTypeOf);
  const keys = await Promise.all(keyFiles.map(async (file) => ({ file, key: await loadPublicKey(file) })));
  const loaded: LoadedPolicy = { keys, identities, attestations };
  if (policy.trustedRoot !== undefined) loaded.trustedRoot = await readTrustedRoot(policy.trustedRoot);
  return loaded;
}

async function readTrustedRoot(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new AirlockError("ERR_FILE", `trusted root ${file}: ${fileErrorReason(err)}`, { cause: err });
  }
  try {
    const json = JSON.parse(text) as { mediaType?: unknown };
    if (
      typeof json.mediaType !== "string" ||
      !json.mediaType.startsWith("application/vnd.dev.sigstore.trustedroot")
    ) {
      throw new Error("no sigstore trusted root media type");
    }
    return json;
  } catch (err) {
    throw new AirlockError("ERR_USAGE", `trusted root ${file}: not a sigstore trusted_root.json`, {
      cause: err,
    });
  }
}
