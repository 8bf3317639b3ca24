import type { Dispatcher } from "undici";
import { AirlockError } from "../errors.js";
import type { Challenge } from "./challenge.js";
import type { Credential } from "./credentials.js";
import { formatScope, mergeScopes, parseScope, scopeKey, scopesCover, type Scope } from "./scope.js";
import { fetchToken, type Token } from "./token.js";

export interface AuthenticatorOptions {
  registry: string;
  dispatcher: Dispatcher;
  userAgent: string;
  /** Looked up once, when the registry first asks for credentials. */
  credential: () => Promise<Credential | undefined>;
  registryIsPlain: () => boolean;
}

interface CachedToken extends Token {
  scopes: Scope[];
}

/**
 * Knows how one registry wants to be authenticated (from the last 401's
 * challenge) and produces the Authorization header for a request's scopes.
 * Bearer tokens are cached per scope set; scopes for the same repository are
 * merged so one token serves pull and push; concurrent requests needing the
 * same scopes share one token request.
 */
export class Authenticator {
  readonly #opts: AuthenticatorOptions;
  #challenge: Challenge | undefined;
  #credential: Promise<Credential | undefined> | undefined;
  #tokens: CachedToken[] = [];
  /** Token requests in flight, by their scope list. */
  #pending = new Map<string, Promise<CachedToken>>();
  /** Every action asked for so far, per resource. */
  #wanted = new Map<string, Scope>();

  constructor(options: AuthenticatorOptions) {
    this.#opts = options;
  }

  get challenge(): Challenge | undefined {
    return this.#challenge;
  }

  /** The Authorization header for a request needing `scopes`, or undefined when anonymous suffices so far. */
  async authorization(scopes: Scope[], signal?: AbortSignal): Promise<string | undefined> {
    const challenge = this.#challenge;
    if (challenge === undefined) return undefined;
    const cred = await this.#getCredential();
    if (challenge.scheme === "basic") return basicHeader(cred, this.#opts.registry);
    if (cred?.registryToken !== undefined) return `Bearer ${cred.registryToken}`;
    const token = this.#cachedToken(scopes) ?? (await this.#sharedToken(scopes, cred, signal));
    return `Bearer ${token.token}`;
  }

  /**
   * Learns from a 401. Returns true when a retry with fresh authorization can
   * succeed, false when it cannot (the same credentials were already refused).
   */
  onUnauthorized(challenge: Challenge | undefined, sentAuthorization: boolean, scopes: Scope[]): boolean {
    if (challenge === undefined) return false;
    this.#challenge = challenge;
    const extra = challenge.params.scope?.split(" ").map(parseScope) ?? [];
    for (const s of extra) if (s) this.#remember([s]);
    if (!sentAuthorization) return true;
    if (challenge.scheme === "basic") return false;
    // A token was refused (expired, revoked or too narrow): forget those that cover the request.
    this.#tokens = this.#tokens.filter((t) => !scopesCover(t.scopes, scopes));
    return true;
  }

  async #getCredential(): Promise<Credential | undefined> {
    this.#credential ??= this.#opts.credential();
    return await this.#credential;
  }

  #remember(scopes: Scope[]): Scope[] {
    for (const s of mergeScopes(scopes)) {
      const prev = this.#wanted.get(scopeKey(s));
      this.#wanted.set(scopeKey(s), mergeScopes(prev ? [prev, s] : [s])[0] ?? s);
    }
    return scopes.map((s) => this.#wanted.get(scopeKey(s)) ?? s);
  }

  #cachedToken(scopes: Scope[]): CachedToken | undefined {
    const now = Date.now();
    this.#tokens = this.#tokens.filter((t) => t.expiresAt > now);
    return this.#tokens.find((t) => scopesCover(t.scopes, scopes));
  }

  /**
   * A new token for `scopes` (widened by what was asked before), joining a
   * request for the same scopes already in flight; that request runs under
   * the signal of the caller that started it.
   */
  #sharedToken(scopes: Scope[], cred: Credential | undefined, signal?: AbortSignal): Promise<CachedToken> {
    const wanted = mergeScopes(this.#remember(scopes));
    const key = wanted.map(formatScope).join(" ");
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = this.#newToken(wanted, cred, signal).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  async #newToken(wanted: Scope[], cred: Credential | undefined, signal?: AbortSignal): Promise<CachedToken> {
    const challenge = this.#challenge;
    const realm = challenge?.params.realm;
    if (realm === undefined) {
      throw new AirlockError(
        "ERR_AUTH",
        `${this.#opts.registry} asked for a bearer token but named no realm`,
      );
    }
    const token = await fetchToken({
      realm,
      service: challenge?.params.service,
      scopes: wanted,
      credential: cred,
      registry: this.#opts.registry,
      registryIsPlain: this.#opts.registryIsPlain(),
      dispatcher: this.#opts.dispatcher,
      userAgent: this.#opts.userAgent,
      signal,
    });
    const cached = { ...token, scopes: wanted };
    this.#tokens.push(cached);
    return cached;
  }
}

function basicHeader(cred: Credential | undefined, registry: string): string {
  if (cred?.username === undefined || cred.password === undefined) {
    throw new AirlockError(
      "ERR_AUTH",
      `${registry} requires a username and password: run "airlock login ${registry}" or pass --authfile`,
    );
  }
  return "Basic " + Buffer.from(`${cred.username}:${cred.password}`).toString("base64");
}
