import { AirlockError } from "../../errors.js";
import type { SignaturePolicy } from "../../signature/types.js";
import type { VerifySignaturesResult } from "../../verbs/verify-signatures.js";
import { stringValue, type Command, type OptionValues } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { writeJson, writeLines } from "../output.js";

export const verifySignaturesCommand: Command = {
  name: "verify-signatures",
  summary:
    "check images' signatures and attestations against keys or keyless identities, offline for bundles",
  usage:
    "TARGET… (--key KEY.pub | --certificate-identity ID --certificate-oidc-issuer URL --trusted-root FILE)",
  help: `Each TARGET is an image reference, checked in its registry, or a bundle file, checked offline
(no network: every image its lock names, with what the lock recorded as attached). An image
passes with one good signature: cosign's .sig (a simple-signing payload naming the image's
digest, signed by a --key), or a sigstore bundle referrer (signed by a --key, or keyless by
the identity, checked against the trusted root: Fulcio chain, SCT, Rekor inclusion proof and
signed entry timestamp). Each --attestation-type also needs a signed in-toto statement about
the image's digest, as cosign's .att or a sigstore bundle. One line per image, PASS or FAIL
and why; exit 8 when any image fails.
  --key KEY.pub                     a PEM public key (ECDSA, Ed25519, RSA); repeatable, any suffices
  --certificate-identity ID         the keyless signer's certificate subject (e-mail or URI), exact
  --certificate-oidc-issuer URL     the keyless signer's OIDC issuer, exact
  --trusted-root FILE               sigstore trusted_root.json (Fulcio roots, Rekor and CT log keys)
  --attestation-type TYPE           slsaprovenance, spdx, cyclonedx, or a predicate type URI; repeatable
  --policy FILE                     a signature policy file (keys, identities, attestations; YAML or JSON)
  --json                            the verdicts as JSON on stdout`,
  options: {
    key: { type: "string", multiple: true },
    "certificate-identity": { type: "string" },
    "certificate-oidc-issuer": { type: "string" },
    "trusted-root": { type: "string" },
    "attestation-type": { type: "string", multiple: true },
    policy: { type: "string" },
  },
  args: [1, Infinity],
  async run({ positionals, values, remote, io, json }) {
    const { verifySignatures } = await import("../../verbs/verify-signatures.js");
    const policy = await policyOf(values);
    const result = await verifySignatures(positionals, { ...remote, policy });
    if (json) await writeJson(io.stdout, result);
    else await writeLines(io.stdout, verdictLines(result));
    return result.passed ? ExitCode.Ok : ExitCode.SignaturePolicy;
  },
};

function verdictLines(result: VerifySignaturesResult): string[] {
  return result.images.map((i) =>
    i.passed ? `PASS ${i.image} (${i.digest}): ${i.reason}` : `FAIL ${i.image} (${i.digest}): ${i.reason}`,
  );
}

/** The policy file's, with the flags added to it. */
async function policyOf(values: OptionValues): Promise<SignaturePolicy> {
  const file = stringValue(values, "policy");
  const base: SignaturePolicy =
    file === undefined ? {} : await (await import("../../signature/policy-file.js")).readPolicyFile(file);
  const identity = stringValue(values, "certificate-identity");
  const issuer = stringValue(values, "certificate-oidc-issuer");
  if ((identity === undefined) !== (issuer === undefined)) {
    throw new AirlockError("ERR_USAGE", "--certificate-identity and --certificate-oidc-issuer go together");
  }
  const keys = [...(base.keys ?? []), ...strings(values, "key")];
  const identities = [...(base.identities ?? [])];
  if (identity !== undefined && issuer !== undefined) identities.push({ subject: identity, issuer });
  const attestations = [...(base.attestations ?? []), ...strings(values, "attestation-type")];
  const trustedRoot = stringValue(values, "trusted-root") ?? base.trustedRoot;
  return { keys, identities, attestations, ...(trustedRoot !== undefined ? { trustedRoot } : {}) };
}

function strings(values: OptionValues, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
}

/** `--require-signatures POLICY`: the policy file, read and checked; undefined without the flag. */
export async function requiredPolicy(values: OptionValues): Promise<SignaturePolicy | undefined> {
  const file = stringValue(values, "require-signatures");
  if (file === undefined) return undefined;
  const { readPolicyFile } = await import("../../signature/policy-file.js");
  return await readPolicyFile(file);
}
