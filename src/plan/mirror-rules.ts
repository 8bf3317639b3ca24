/**
 * Which upstream namespaces the site registry serves, and where: from the
 * references a lock or bundle names and push-bundle's naming (prefix,
 * keepHost, mapping rules), one rule per upstream host and path prefix that
 * the carried images use. The runtime formats (containerd, registries.conf,
 * k3s) are written from these rules. Pure.
 */

import { parseReference } from "../ref/reference.js";
import { hostComponent, matchingRule, targetName, type TargetNaming } from "../ref/target-name.js";

/** Upstream repositories under `from` (a path prefix of `host`, "" for all) are at the site under `to`. */
export interface MirrorRule {
  /** "" for every repository of the host; else a path prefix ("library"). */
  from: string;
  /** The site's path prefix ("" for the registry root). */
  to: string;
}

/** One upstream host, its rules, and every carried repository with its site repository. */
export interface MirrorHost {
  /** The upstream host as references name it ("docker.io", "ghcr.io", "host:5000"). */
  host: string;
  /** Longest `from` first. */
  rules: MirrorRule[];
  /** Upstream repository path → site repository path, for each carried repository. */
  repositories: Map<string, string>;
}

/** Every upstream host the references name, in order of their first appearance. */
export function mirrorHosts(references: readonly string[], naming: TargetNaming): MirrorHost[] {
  const hosts = new Map<string, MirrorHost>();
  for (const reference of references) {
    const { registry, repository } = parseReference(reference);
    let host = hosts.get(registry);
    if (host === undefined) {
      host = { host: registry, rules: [], repositories: new Map() };
      hosts.set(registry, host);
    }
    host.repositories.set(repository, targetName(reference, naming).repository);
    const rule = ruleFor(registry, reference, naming);
    if (!host.rules.some((r) => r.from === rule.from && r.to === rule.to)) host.rules.push(rule);
  }
  for (const h of hosts.values()) h.rules.sort((a, b) => b.from.length - a.from.length);
  return [...hosts.values()];
}

/** The site repository `rules` give an upstream repository (longest `from` wins), as registries.conf does. */
export function applyRules(rules: readonly MirrorRule[], repository: string): string | undefined {
  const rule = rules.find(
    (r) => r.from === "" || repository === r.from || repository.startsWith(`${r.from}/`),
  );
  if (rule === undefined) return undefined;
  const rest = rule.from === "" ? repository : repository.slice(rule.from.length).replace(/^\//, "");
  return [rule.to, rest].filter((p) => p !== "").join("/");
}

/** The mapping rule that names `reference`, as a rule of its host; else the default naming. */
function ruleFor(registry: string, reference: string, naming: TargetNaming): MirrorRule {
  const mapped = matchingRule(reference, naming.rules ?? []);
  if (mapped !== undefined) return { from: mapped.from.slice(registry.length + 1), to: mapped.to };
  const parts = [naming.prefix?.replace(/^\/+|\/+$/g, "") ?? ""];
  if (naming.keepHost === true) parts.push(hostComponent(registry));
  return { from: "", to: parts.filter((p) => p !== "").join("/") };
}
