/**
 * Naming in one place: where an image lives inside the gap. A source
 * reference becomes a target repository and tag — by a mapping rule, else
 * its repository path without the registry host, optionally under a prefix
 * or with the host kept as the first path component — and a REGISTRY[/PREFIX]
 * target is parsed. Shared by push-bundle, serve and sync. Pure.
 */

import { AirlockError } from "../errors.js";
import { MAX_PATH_LENGTH, findPathProblem } from "./grammar.js";
import { formatRepository, parseReference, parseRegistry } from "./reference.js";

export interface TargetNameOptions {
  /** Put every repository under this path ("mirror" → "mirror/library/busybox"). */
  prefix?: string;
  /** Keep the source registry host as the first component ("docker.io/library/busybox"). */
  keepHost?: boolean;
}

/** One rule of a mapping file: source repositories under `from` go under `to` in the target. */
export interface MappingRule {
  from: string;
  to: string;
}

/** How references are named in a target: mapping rules first, then the default naming. */
export interface TargetNaming extends TargetNameOptions {
  rules?: readonly MappingRule[];
}

/** The repository and tag (none for a digest-only reference) a source reference gets in the target. */
export function targetName(
  reference: string,
  naming: TargetNaming = {},
): { repository: string; tag: string | undefined } {
  const repository = mapRepository(reference, naming.rules ?? []) ?? targetRepository(reference, naming);
  return { repository, tag: targetTag(reference) };
}

/** The target repository for a source reference under the rules, or undefined when none applies. */
export function mapRepository(reference: string, rules: readonly MappingRule[]): string | undefined {
  const best = matchingRule(reference, rules);
  return best === undefined
    ? undefined
    : best.to + formatRepository(parseReference(reference)).slice(best.from.length);
}

/** The rule that names a source reference: the longest `from` that is its repository or a prefix of it at a "/". */
export function matchingRule(reference: string, rules: readonly MappingRule[]): MappingRule | undefined {
  const source = formatRepository(parseReference(reference));
  const matches = rules.filter((r) => source === r.from || source.startsWith(`${r.from}/`));
  return [...matches].sort((a, b) => b.from.length - a.from.length)[0];
}

/**
 * skopeo sync's naming: DEST/<last path part>, or with `scoped`
 * DEST/<host>/<path>.
 * @throws AirlockError ERR_USAGE when the result is no valid repository path.
 */
export function syncRepository(
  source: { registry: string; repository: string; where: string },
  options: { prefix: string; scoped: boolean },
): string {
  const path = options.scoped
    ? `${source.registry}/${source.repository}`
    : (source.repository.split("/").pop() ?? source.repository);
  const repository = options.prefix === "" ? path : `${options.prefix}/${path}`;
  const problem = findPathProblem(repository);
  if (problem !== undefined) {
    throw new AirlockError(
      "ERR_USAGE",
      `${source.where}: destination repository "${repository}": ${problem}`,
    );
  }
  return repository;
}

/**
 * "host[:port][/prefix/path]", as --to and --dest take it: the registry and
 * the repository prefix ("" when none).
 * @throws AirlockError ERR_USAGE naming `flag` for an invalid prefix.
 */
export function parseRegistryTarget(text: string, flag: string): { registry: string; prefix: string } {
  const slash = text.indexOf("/");
  const registry = parseRegistry(slash === -1 ? text : text.slice(0, slash));
  const prefix = slash === -1 ? "" : text.slice(slash + 1).replace(/\/+$/, "");
  const problem = prefix === "" ? undefined : findPathProblem(prefix);
  if (problem !== undefined) {
    throw new AirlockError(
      "ERR_USAGE",
      `${flag} ${text}: "${prefix}" is not a valid repository path prefix (${problem})`,
    );
  }
  return { registry, prefix };
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
