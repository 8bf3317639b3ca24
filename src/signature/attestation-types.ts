/** The attestation types `--attestation-type` takes, as cosign names them, and their predicate types. */
import { AirlockError } from "../errors.js";

const PREDICATE_TYPES: Record<string, string> = {
  slsaprovenance: "https://slsa.dev/provenance/v0.2",
  slsaprovenance02: "https://slsa.dev/provenance/v0.2",
  slsaprovenance1: "https://slsa.dev/provenance/v1",
  spdx: "https://spdx.dev/Document",
  spdxjson: "https://spdx.dev/Document",
  cyclonedx: "https://cyclonedx.org/bom",
  vuln: "https://cosign.sigstore.dev/attestation/vuln/v1",
};

/** slsaprovenance also takes SLSA v1 provenance: one name, either version. */
const ALSO: Record<string, string[]> = {
  "https://slsa.dev/provenance/v0.2": ["https://slsa.dev/provenance/v1"],
};

/**
 * The predicate type a name stands for (a URI stands for itself).
 * @throws AirlockError ERR_USAGE for a name that is neither.
 */
export function predicateTypeOf(name: string): string {
  const known = PREDICATE_TYPES[name.toLowerCase()];
  if (known !== undefined) return known;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(name)) return name;
  const names = Object.keys(PREDICATE_TYPES).join(", ");
  throw new AirlockError(
    "ERR_USAGE",
    `attestation type "${name}": give one of ${names}, or a predicate type URI`,
  );
}

/** True when a statement's predicate type satisfies the one asked for. */
export function satisfies(asked: string, predicateType: string): boolean {
  return predicateType === asked || (ALSO[asked] ?? []).includes(predicateType);
}
