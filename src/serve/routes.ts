/**
 * The distribution API's paths, parsed from the raw request target without
 * any decoding or dot-segment normalisation: a name is checked against the
 * repository grammar as it was sent, so "..", "%2e%2e" and friends are
 * simply invalid names. Pure.
 */

import { findDigestProblem, findPathProblem, findTagProblem } from "../ref/grammar.js";
import type { OciErrorCode } from "./responses.js";

/** A request the server knows how to answer (or the error it gets). */
export type Route =
  | { kind: "ping" }
  | { kind: "catalog" }
  | { kind: "tags"; name: string }
  | { kind: "manifest"; name: string; reference: string; byDigest: boolean }
  | { kind: "blob"; name: string; digest: string }
  | { kind: "referrers"; name: string; digest: string }
  | { kind: "upload"; name: string }
  | { kind: "error"; status: number; code: OciErrorCode; message: string };

const PATTERNS: { kind: "tags" | "manifest" | "blob" | "referrers" | "upload"; re: RegExp }[] = [
  { kind: "tags", re: /^\/v2\/(.+)\/tags\/list$/ },
  { kind: "manifest", re: /^\/v2\/(.+)\/manifests\/([^/]+)$/ },
  { kind: "upload", re: /^\/v2\/(.+)\/blobs\/uploads(?:\/[^/]*)?$/ },
  { kind: "blob", re: /^\/v2\/(.+)\/blobs\/([^/]+)$/ },
  { kind: "referrers", re: /^\/v2\/(.+)\/referrers\/([^/]+)$/ },
];

/** The route of a request path (the part of the request target before "?"). */
export function parseRoute(path: string): Route {
  if (path === "/v2" || path === "/v2/") return { kind: "ping" };
  if (path === "/v2/_catalog") return { kind: "catalog" };
  for (const { kind, re } of PATTERNS) {
    const match = re.exec(path);
    if (match === null) continue;
    const name = match[1] ?? "";
    const problem = findPathProblem(name);
    if (problem !== undefined) return error(400, "NAME_INVALID", `invalid repository name: ${problem}`);
    return withReference(kind, name, match[2] ?? "");
  }
  return error(404, "NAME_UNKNOWN", "no such repository or endpoint; this is a read-only registry (/v2/)");
}

function withReference(kind: (typeof PATTERNS)[number]["kind"], name: string, ref: string): Route {
  switch (kind) {
    case "tags":
    case "upload":
      return { kind, name };
    case "manifest":
      return manifestRoute(name, ref);
    case "blob":
    case "referrers": {
      const problem = findDigestProblem(ref);
      if (problem !== undefined) return error(400, "DIGEST_INVALID", problem);
      return { kind, name, digest: ref };
    }
  }
}

function manifestRoute(name: string, reference: string): Route {
  if (reference.includes(":")) {
    const problem = findDigestProblem(reference);
    if (problem !== undefined) return error(400, "DIGEST_INVALID", problem);
    return { kind: "manifest", name, reference, byDigest: true };
  }
  const problem = findTagProblem(reference);
  if (problem !== undefined) return error(404, "MANIFEST_UNKNOWN", `no such tag: ${problem}`);
  return { kind: "manifest", name, reference, byDigest: false };
}

function error(status: number, code: OciErrorCode, message: string): Route {
  return { kind: "error", status, code, message };
}
