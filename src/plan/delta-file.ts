/** The delta marker as JSON: a fixed order (the same lock and bases give the same bytes), read back through its schema. */
import { AirlockError } from "../errors.js";
import { validate as validator } from "../generated/validate-delta.js";
import type { DeltaMarker } from "./delta-types.js";

export function encodeDeltaMarker(marker: DeltaMarker): string {
  const doc = {
    deltaVersion: marker.deltaVersion,
    bases: marker.bases.map((b) => ({
      file: b.file,
      sha256: b.sha256,
      kind: b.kind,
      ...(b.registry !== undefined ? { registry: b.registry } : {}),
      ...(b.prefix !== undefined ? { prefix: b.prefix } : {}),
    })),
    omitted: marker.omitted.map((o) => ({
      digest: o.digest,
      size: o.size,
      base: o.base,
      ...(o.repository !== undefined ? { repository: o.repository } : {}),
      ...(o.source !== undefined ? { source: o.source } : {}),
    })),
    bytesOmitted: marker.bytesOmitted,
  };
  return JSON.stringify(doc, null, 1) + "\n";
}

/**
 * Parses and validates a bundle's delta marker.
 * @throws AirlockError ERR_BUNDLE_CORRUPT naming `where` when it is not one.
 */
export function decodeDeltaMarker(text: string, where: string): DeltaMarker {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AirlockError("ERR_BUNDLE_CORRUPT", `${where} is not valid JSON`);
  }
  if (!validator(value)) {
    const errors = (validator.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
    throw new AirlockError(
      "ERR_BUNDLE_CORRUPT",
      `${where} is not an airlock delta marker: ${errors.join("; ")}`,
    );
  }
  const marker = value as DeltaMarker;
  const bad = marker.omitted.find((o) => o.base >= marker.bases.length);
  if (bad !== undefined) {
    throw new AirlockError(
      "ERR_BUNDLE_CORRUPT",
      `${where}: ${bad.digest} names base ${bad.base}, which it does not list`,
    );
  }
  return marker;
}
