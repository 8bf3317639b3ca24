/**
 * A scripted Docker token service for the fault server: issues opaque tokens
 * ("tok-1", "tok-2", …) for whatever scopes are asked, remembers each token
 * request, and gates registry routes behind a Bearer challenge.
 */
import { challenge, status } from "./fault-routes.js";
import type { FaultRequest, Reply } from "./fault-server.js";

/** One token request and what it was given. */
export interface IssuedToken {
  token: string;
  /** Every `scope` parameter, in order. */
  scopes: string[];
  service: string | null;
  account: string | null;
  /** The Authorization header of the token request, if any. */
  authorization: string | undefined;
  revoked: boolean;
}

export interface TokenServiceOptions {
  /** The JSON field carrying the token; default "token". */
  field?: "token" | "access_token" | "both";
  /** `expires_in` to answer; omitted when undefined. */
  expiresIn?: number;
  /** When set, a request with other Basic credentials gets 401 (anonymous still gets a token). */
  credentials?: { username: string; password: string };
}

/** The realm's reply plus what it issued. */
export interface TokenService {
  readonly reply: Reply;
  readonly issued: IssuedToken[];
  /** True when `req` carries a live token from here whose scopes hold `scope` ("repository:x:push"). */
  grants(req: FaultRequest, scope: string): boolean;
  /** Makes a token invalid from now on. */
  revoke(token: string): void;
}

/** A token service to mount on a route such as `GET /token`. */
export function tokenService(options: TokenServiceOptions = {}): TokenService {
  const issued: IssuedToken[] = [];
  const expected = options.credentials;
  const good =
    expected && "Basic " + Buffer.from(`${expected.username}:${expected.password}`).toString("base64");
  const reply: Reply = (req, res) => {
    const authorization = req.headers.authorization;
    if (authorization !== undefined && good !== undefined && authorization !== good) {
      return status(401, {}, { details: "incorrect username or password" })(req, res);
    }
    const token = `tok-${issued.length + 1}`;
    const q = req.url.searchParams;
    issued.push({
      token,
      scopes: q.getAll("scope"),
      service: q.get("service"),
      account: q.get("account"),
      authorization,
      revoked: false,
    });
    return status(200, {}, tokenBody(token, options))(req, res);
  };
  const live = (token: string): IssuedToken | undefined =>
    issued.find((t) => t.token === token && !t.revoked);
  return {
    reply,
    issued,
    grants: (req, scope) => {
      const found = live(bearerOf(req) ?? "");
      return found !== undefined && found.scopes.some((s) => scopeHolds(s, scope));
    },
    revoke: (token) => {
      for (const t of issued) if (t.token === token) t.revoked = true;
    },
  };
}

function tokenBody(token: string, options: TokenServiceOptions): Record<string, unknown> {
  const field = options.field ?? "token";
  const body: Record<string, unknown> = {};
  if (field !== "access_token") body.token = token;
  if (field !== "token") body.access_token = field === "both" ? `${token}-access` : token;
  if (options.expiresIn !== undefined) body.expires_in = options.expiresIn;
  return body;
}

/** The challenge a gated route sends. */
export interface BearerChallenge {
  realm: string;
  service: string;
  /** The scope the request needs, e.g. `repository:x:pull`. */
  scope: (req: FaultRequest) => string;
}

/**
 * `then` for requests holding a token that grants the needed scope; otherwise
 * 401 with a Bearer challenge (with `error="invalid_token"` when a token was sent).
 */
export function bearerGate(tokens: TokenService, gate: BearerChallenge, then: Reply): Reply {
  return (req, res) => {
    const scope = gate.scope(req);
    if (tokens.grants(req, scope)) return then(req, res);
    const error = bearerOf(req) === undefined ? "" : `,error="invalid_token"`;
    const value = `Bearer realm="${gate.realm}",service="${gate.service}",scope="${scope}"${error}`;
    return challenge(value)(req, res);
  };
}

function bearerOf(req: FaultRequest): string | undefined {
  const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "");
  return match?.[1];
}

/** True when granted scope `have` ("repository:x:pull,push") includes every action of `need`. */
function scopeHolds(have: string, need: string): boolean {
  const split = (s: string): [string, string[]] => {
    const at = s.lastIndexOf(":");
    return [s.slice(0, at), s.slice(at + 1).split(",")];
  };
  const [haveKey, haveActions] = split(have);
  const [needKey, needActions] = split(need);
  return (
    haveKey === needKey && needActions.every((a) => haveActions.includes(a) || haveActions.includes("*"))
  );
}
