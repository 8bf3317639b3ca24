/**
 * Where an image of a bundle lives inside the gap: the source reference's
 * repository path without its registry host, optionally under a prefix or
 * with the host kept as the first path component. Shared by `serve` and
 * `push-bundle`, so both name repositories the same way. Pure.
 */

import { AirlockError } from "../errors.js";
import { MAX_PATH_LENGTH, findPathProblem } from "../ref/grammar.js";
import { parseReference } from "../ref/reference.js";

export interface TargetNameOptions {
  /** Put every repository under this path ("mirror" → "mirror/library/busybox"). */
  prefix?: string;
  /** Keep the source registry host as the first component ("docker.io/library/busybox"). */
  keepHost?: boolean;
}

/**
 * The repository a reference is served or pushed as:
 * `docker.io/library/busybox:1.36` → `library/busybox`;
 * with `keepHost`, `127.0.0.1:5000/team/app` → `127.0.0.1_5000/team/app`.
 * @throws AirlockError ERR_REF_INVALID for an invalid reference or prefix, or a result over 255 characters.
 */
export function targetRepository(reference: string, options: TargetNameOptions = {}): string {
  const { registry, repository } = parseReference(reference);
  const parts = [repository];
  if (options.keepHost === true) parts.unshift(hostComponent(registry));
  const prefix = normalizePrefix(options.prefix);
  if (prefix !== undefined) parts.unshift(prefix);
  const name = parts.join("/");
  if (name.length > MAX_PATH_LENGTH) {
    throw new AirlockError(
      "ERR_REF_INVALID",
      `repository "${name}" for ${reference} is ${name.length} characters long; the limit is ${MAX_PATH_LENGTH}`,
    );
  }
  return name;
}

/** The tag a reference is served or pushed under; undefined for a reference by digest only. */
export function targetTag(reference: string): string | undefined {
  return parseReference(reference).tag;
}

/**
 * A registry host as one path component: lower-cased, ":" (not allowed in
 * repository paths) replaced by "_", IPv6 brackets dropped, and separators
 * left over at either end trimmed ("[::1]:5000" → "1_5000").
 */
export function hostComponent(registry: string): string {
  const component = registry
    .toLowerCase()
    .replace(/[[\]]/g, "")
    .replaceAll(":", "_")
    .replace(/^[._-]+|[._-]+$/g, "");
  const problem = findPathProblem(component);
  if (problem !== undefined) {
    throw new AirlockError(
      "ERR_REF_INVALID",
      `registry "${registry}" cannot be a repository path component: ${problem}`,
    );
  }
  return component;
}

function normalizePrefix(prefix: string | undefined): string | undefined {
  if (prefix === undefined) return undefined;
  const trimmed = prefix.replace(/^\/+|\/+$/g, "");
  if (trimmed === "") return undefined;
  const problem = findPathProblem(trimmed);
  if (problem !== undefined) {
    throw new AirlockError("ERR_REF_INVALID", `invalid repository prefix "${prefix}": ${problem}`);
  }
  return trimmed;
}
