/** A token scope such as repository:library/ubuntu:pull,push or registry:catalog:*. */
export interface Scope {
  type: "repository" | "registry";
  name: string;
  actions: string[];
}

export function pullScope(repository: string): Scope {
  return { type: "repository", name: repository, actions: ["pull"] };
}

export function pushScope(repository: string): Scope {
  return { type: "repository", name: repository, actions: ["pull", "push"] };
}

export function deleteScope(repository: string): Scope {
  return { type: "repository", name: repository, actions: ["pull", "push", "delete"] };
}

export const CATALOG_SCOPE: Scope = { type: "registry", name: "catalog", actions: ["*"] };

export function scopeKey(scope: Pick<Scope, "type" | "name">): string {
  return `${scope.type}:${scope.name}`;
}

export function formatScope(scope: Scope): string {
  return `${scopeKey(scope)}:${[...new Set(scope.actions)].sort().join(",")}`;
}

/** Parses "repository:name:pull,push" (the name may contain ':' for host:port paths). */
export function parseScope(text: string): Scope | undefined {
  const first = text.indexOf(":");
  const last = text.lastIndexOf(":");
  if (first <= 0 || last === first) return undefined;
  const type = text.slice(0, first);
  if (type !== "repository" && type !== "registry") return undefined;
  const actions = text
    .slice(last + 1)
    .split(",")
    .filter(Boolean);
  return { type, name: text.slice(first + 1, last), actions };
}

/** One scope per resource, with the union of actions: token servers reject duplicates. */
export function mergeScopes(scopes: readonly Scope[]): Scope[] {
  const byKey = new Map<string, Scope>();
  for (const s of scopes) {
    const key = scopeKey(s);
    const prev = byKey.get(key);
    byKey.set(key, {
      type: s.type,
      name: s.name,
      actions: [...new Set([...(prev?.actions ?? []), ...s.actions])],
    });
  }
  return [...byKey.values()]
    .map((s) => ({ ...s, actions: [...s.actions].sort() }))
    .sort((a, b) => scopeKey(a).localeCompare(scopeKey(b)));
}

/** True when `granted` holds every action of every scope in `needed`. */
export function scopesCover(granted: readonly Scope[], needed: readonly Scope[]): boolean {
  return needed.every((n) => {
    const g = granted.find((s) => scopeKey(s) === scopeKey(n));
    return g !== undefined && (g.actions.includes("*") || n.actions.every((a) => g.actions.includes(a)));
  });
}

/**
 * The repository whose credential a request (or token request) for `scopes`
 * uses: the one written to (push or delete) when there is one — so a
 * cross-repository mount, push on the target and pull on the source, asks
 * with the target's credential, as docker and containers/image do — else the
 * first repository; undefined for registry-wide scopes (the catalog) and
 * none, which use the registry host's credential.
 */
export function credentialRepository(scopes: readonly Scope[]): string | undefined {
  const repositories = scopes.filter((s) => s.type === "repository");
  const writing = repositories.find((s) => s.actions.some((a) => a === "push" || a === "delete"));
  return (writing ?? repositories[0])?.name;
}
