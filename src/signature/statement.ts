/**
 * in-toto statements (https://in-toto.io/Statement/v1, and v0.1): what an
 * attestation says, about which digests. The envelope's signature is checked
 * elsewhere; this only reads the payload.
 */
import { hexOf, jsonOf } from "./context.js";

export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

export interface Statement {
  predicateType: string;
  /** sha256 hex digests of the subjects. */
  subjects: string[];
}

/** The statement in a DSSE payload; undefined when it is not one. */
export function parseStatement(payloadType: string, payload: Buffer): Statement | undefined {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) return undefined;
  const json = jsonOf(payload) as { _type?: unknown; predicateType?: unknown; subject?: unknown } | undefined;
  if (typeof json !== "object" || json === null) return undefined;
  if (typeof json._type !== "string" || !json._type.startsWith("https://in-toto.io/Statement/"))
    return undefined;
  if (typeof json.predicateType !== "string" || !Array.isArray(json.subject)) return undefined;
  const subjects = (json.subject as { digest?: { sha256?: unknown } }[]).flatMap((s) =>
    typeof s?.digest?.sha256 === "string" ? [s.digest.sha256.toLowerCase()] : [],
  );
  return { predicateType: json.predicateType, subjects };
}

/** True when the statement is about the image `digest`. */
export function isAbout(statement: Statement, digest: string): boolean {
  return statement.subjects.includes(hexOf(digest));
}
