/**
 * `verify:` in airlock.yaml, per registry or per entry: the signature policy
 * create-bundle enforces for those images (the same shape as a policy file,
 * schemas/airlock-signature-policy.schema.json; the schema checked it already).
 * File names are resolved against the list's directory.
 */
import { resolvePolicyPaths } from "../signature/policy-file.js";
import type { SignaturePolicy } from "../signature/types.js";
import { isRecord } from "./context.js";

/** The `verify` setting of a registry or an entry, paths made absolute; undefined when absent. */
export function readVerify(value: unknown, dir: string): SignaturePolicy | undefined {
  if (!isRecord(value) || !isRecord(value.verify)) return undefined;
  const v = value.verify;
  const strings = (x: unknown): string[] | undefined =>
    Array.isArray(x) ? x.filter((s): s is string => typeof s === "string") : undefined;
  const policy: SignaturePolicy = {};
  const keys = strings(v.keys);
  if (keys !== undefined) policy.keys = keys;
  if (Array.isArray(v.identities)) {
    policy.identities = v.identities.flatMap((i) =>
      isRecord(i) && typeof i.subject === "string" && typeof i.issuer === "string"
        ? [{ subject: i.subject, issuer: i.issuer }]
        : [],
    );
  }
  if (typeof v.trustedRoot === "string") policy.trustedRoot = v.trustedRoot;
  const attestations = strings(v.attestations);
  if (attestations !== undefined) policy.attestations = attestations;
  return resolvePolicyPaths(policy, dir);
}
