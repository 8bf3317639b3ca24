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
export async function loadPolicy(
  policy: SignaturePolicy,
  options: { carriedRoot?: Buffer | undefined } = {},
): Promise<LoadedPolicy> {
  const keyFiles = policy.keys ?? [];
  const identities = policy.identities ?? [];
  if (keyFiles.length === 0 && identities.length === 0) {
    throw new AirlockError(
      "ERR_USAGE",
      "a signature policy needs a key (--key KEY.pub) or a keyless identity (--certificate-identity with --certificate-oidc-issuer)",
    );
  }
  if (identities.length > 0 && policy.trustedRoot === undefined && options.carriedRoot === undefined) {
    throw new AirlockError(
      "ERR_USAGE",
      "keyless identities are checked against a trusted root: give --trusted-root trusted_root.json (or carry it in the bundle: create-bundle --trusted-root)",
    );
  }
  const attestations = (policy.attestations ?? []).map(predicateTypeOf);
  const keys = await Promise.all(keyFiles.map(async (file) => ({ file, key: await loadPublicKey(file) })));
  const loaded: LoadedPolicy = { keys, identities, attestations };
  if (policy.trustedRoot !== undefined) loaded.trustedRoot = await readTrustedRoot(policy.trustedRoot);
  else if (options.carriedRoot !== undefined) {
    loaded.trustedRoot = parseTrustedRoot(options.carriedRoot, "the bundle's trusted_root.json");
  }
  return loaded;
}

/**
 * A trusted_root.json file's bytes, checked to be one.
 * @throws AirlockError ERR_FILE when it cannot be read, ERR_USAGE when it is not a sigstore trusted root.
 */
export async function readTrustedRootFile(file: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new AirlockError("ERR_FILE", `trusted root ${file}: ${fileErrorReason(err)}`, { cause: err });
  }
  parseTrustedRoot(bytes, `trusted root ${file}`);
  return bytes;
}

async function readTrustedRoot(file: string): Promise<unknown> {
  return parseTrustedRoot(await readTrustedRootFile(file), `trusted root ${file}`);
}

function parseTrustedRoot(bytes: Buffer, what: string): unknown {
  const text = bytes.toString("utf8");
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
    throw new AirlockError("ERR_USAGE", `${what}: not a sigstore trusted_root.json`, {
      cause: err,
    });
  }
}

/**
 * A policy loaded once, or once per trusted root a bundle carries (used when the policy names
 * none of its own).
 */
export class PolicyCache {
  readonly #policy: SignaturePolicy;
  #own: Promise<LoadedPolicy> | undefined;
  readonly #carried = new Map<string, Promise<LoadedPolicy>>();

  constructor(policy: SignaturePolicy) {
    this.#policy = policy;
  }

  /** The policy, with `carriedRoot` as its trusted root when it names none. */
  get(carriedRoot?: Buffer): Promise<LoadedPolicy> {
    if (carriedRoot === undefined || this.#policy.trustedRoot !== undefined) {
      this.#own ??= loadPolicy(this.#policy);
      return this.#own;
    }
    const key = carriedRoot.toString("base64");
    let loaded = this.#carried.get(key);
    if (loaded === undefined) this.#carried.set(key, (loaded = loadPolicy(this.#policy, { carriedRoot })));
    return loaded;
  }
}
