import { parse as parseAuthHeader } from "auth-header";

export interface Challenge {
  scheme: "basic" | "bearer";
  params: Record<string, string>;
}

/**
 * The usable challenge among the WWW-Authenticate headers of a 401, Bearer
 * preferred over Basic; other schemes (Negotiate, Digest) are ignored.
 */
export function parseChallenges(header: string | string[] | undefined): Challenge | undefined {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const found: Challenge[] = [];
  for (const value of values) {
    const challenge = parseOne(value);
    if (challenge) found.push(challenge);
  }
  return found.find((c) => c.scheme === "bearer") ?? found[0];
}

function parseOne(value: string): Challenge | undefined {
  let parsed: ReturnType<typeof parseAuthHeader>;
  try {
    parsed = parseAuthHeader(value);
  } catch {
    return undefined;
  }
  const scheme = parsed.scheme.toLowerCase();
  if (scheme !== "basic" && scheme !== "bearer") return undefined;
  const params: Record<string, string> = {};
  for (const [key, raw] of Object.entries(parsed.params)) {
    params[key.toLowerCase()] = Array.isArray(raw) ? raw.join(",") : raw;
  }
  return { scheme, params };
}
