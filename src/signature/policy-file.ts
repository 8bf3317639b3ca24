/**
 * Signature policy files (YAML or JSON), checked against
 * schemas/airlock-signature-policy.schema.json; file names in them are
 * relative to the file. The image list's `verify:` takes the same shape.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { load } from "js-yaml";
import { AirlockError, fileErrorReason } from "../errors.js";
import { validate } from "../generated/validate-signature-policy.js";
import type { SignaturePolicy } from "./types.js";

/** The schema's check of a policy: each problem as "path: message"; [] when it conforms. */
export function policyProblems(value: unknown): string[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath.slice(1).replaceAll("/", ".") || "policy"}: ${e.message ?? "invalid"}`,
  );
}

/** File names of a policy written in `dir`, made absolute. */
export function resolvePolicyPaths(policy: SignaturePolicy, dir: string): SignaturePolicy {
  const out: SignaturePolicy = { ...policy };
  if (policy.keys !== undefined) out.keys = policy.keys.map((k) => resolve(dir, k));
  if (policy.trustedRoot !== undefined) out.trustedRoot = resolve(dir, policy.trustedRoot);
  return out;
}

/**
 * Reads and checks a policy file.
 * @throws AirlockError ERR_FILE when it cannot be read, ERR_USAGE when it is not a valid policy.
 */
export async function readPolicyFile(file: string): Promise<SignaturePolicy> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new AirlockError("ERR_FILE", `signature policy ${file}: ${fileErrorReason(err)}`, { cause: err });
  }
  let value: unknown;
  try {
    value = load(text);
  } catch (err) {
    throw new AirlockError("ERR_USAGE", `signature policy ${file}: not YAML or JSON`, { cause: err });
  }
  const problems = policyProblems(value);
  if (problems.length > 0) {
    throw new AirlockError("ERR_USAGE", `signature policy ${file}: ${problems.join("; ")}`);
  }
  return resolvePolicyPaths(value as SignaturePolicy, dirname(file));
}
