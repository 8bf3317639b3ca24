/**
 * What is attached to an image and travels with it: cosign's signature,
 * attestation and SBOM tags, and OCI 1.1 referrers. Set in airlock.yaml per
 * list (`defaults:`) and per entry: `signatures`, `referrers`, `artifactTypes`.
 */
import { isRecord } from "./context.js";
import type { AttachedPolicy } from "./types.js";

/** The default: carry whatever is attached. */
export const CARRY_ALL: AttachedPolicy = { signatures: true, referrers: true };

/** The entry's policy: its own settings over the list's defaults; undefined when it is the default. */
export function readAttached(defaults: unknown, item: unknown): AttachedPolicy | undefined {
  const merged = { ...CARRY_ALL, ...settingsOf(defaults), ...settingsOf(item) };
  return isDefault(merged) ? undefined : merged;
}

function settingsOf(value: unknown): Partial<AttachedPolicy> {
  if (!isRecord(value)) return {};
  const out: Partial<AttachedPolicy> = {};
  if (typeof value.signatures === "boolean") out.signatures = value.signatures;
  if (typeof value.referrers === "boolean") out.referrers = value.referrers;
  if (Array.isArray(value.artifactTypes)) {
    const types = value.artifactTypes.filter((t): t is string => typeof t === "string");
    out.artifactTypes = [...new Set(types)].sort();
  }
  return out;
}

function isDefault(p: AttachedPolicy): boolean {
  return p.signatures && p.referrers && p.artifactTypes === undefined;
}

/** The policy as it appears in entry keys: "" for the default, else e.g. " signatures=false artifact-types=a,b". */
export function attachedKey(policy: AttachedPolicy | undefined): string {
  if (policy === undefined) return "";
  return [
    policy.signatures ? "" : " signatures=false",
    policy.referrers ? "" : " referrers=false",
    policy.artifactTypes === undefined ? "" : ` artifact-types=${policy.artifactTypes.join(",")}`,
  ].join("");
}
