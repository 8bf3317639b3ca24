import { createHash } from "node:crypto";
import type { Dispatcher } from "undici";
import { AirlockError } from "../errors.js";
import type { Challenge } from "./challenge.js";
import type { Credential, CredentialLookup } from "./credentials.js";
import {
  credentialRepository,
  formatScope,
  mergeScopes,
  parseScope,
  scopeKey,
  scopesCover,
  type Scope,
} from "./scope.js";
import { fetchToken, type Token } from "./token.js";

export interface AuthenticatorOptions {
  registry: string;
  dispatcher: Dispatcher;
  userAgent: string;
  /**
   * The credential for a repository (undefined: the registry as a whole);
   * looked up once per repository, when the registry first asks for credentials.
   */
  credential: CredentialLookup;
  registryIsPlain: () => boolean;
}

interface CachedToken extends Token {
  scopes: Scope[];
  /** Which credential fetched it (credentialId). */
  credentialId: string;
}

/** A credential and the id tokens fetched with it are cached under. */
interface ChosenCredential {
  credential: Credential | undefined;
  id: string;
}

/**
 * Knows how one registry wants to be authenticated (from the last 401's
 * challenge) and produces the Authorization header for a request's scopes.
 * The credential is chosen per request, for the repository of its scopes
 * (credentialRepository), so a namespace's auth-file entry serves that
 * namespace alone. Bearer tokens are cached per credential and scope set: a
 * token fetched with one credential never serves a request that would use
 * another. Scopes for the same repository are merged so one token serves pull
 * and push; concurrent requests needing the same scopes share one token request.
 */
export class Authenticator {
  readonly #opts: AuthenticatorOptions;
  #challenge: Challenge | undefined;
  /** Credentials looked up so far, by repository ("" for the registry as a whole). */
  #credentials = new Map<string, Promise<ChosenCredential>>();
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
    const chosen = await this.#credentialFor(credentialRepository(scopes));
    const cred = chosen.credential;
    if (challenge.scheme === "basic") return basicHeader(cred, this.#opts.registry);
    if (cred?.registryToken !== undefined) return `Bearer ${cred.registryToken}`;
    const token = this.#cachedToken(scopes, chosen.id) ?? (await this.#sharedToken(scopes, chosen, signal));
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

  async #credentialFor(repository: string | undefined): Promise<ChosenCredential> {
    let chosen = this.#credentials.get(repository ?? "");
    if (chosen === undefined) {
      chosen = this.#opts.credential(repository).then((credential) => ({
        credential,
        id: credentialId(credential),
      }));
      this.#credentials.set(repository ?? "", chosen);
    }
    return await chosen;
  }

  #remember(scopes: Scope[]): Scope[] {
    for (const s of mergeScopes(scopes)) {
      const prev = this.#wanted.get(scopeKey(s));
      this.#wanted.set(scopeKey(s), mergeScopes(prev ? [prev, s] : [s])[0] ?? s);
    }
    return scopes.map((s) => this.#wanted.get(scopeKey(s)) ?? s);
  }

  #cachedToken(scopes: Scope[], credentialId: string): CachedToken | undefined {
    const now = Date.now();
    this.#tokens = this.#tokens.filter((t) => t.expiresAt > now);
    return this.#tokens.find((t) => t.credentialId === credentialId && scopesCover(t.scopes, scopes));
  }

  /**
   * A new token for `scopes` (widened by what was asked before), joining a
   * request for the same scopes already in flight; that request runs under
   * the signal of the caller that started it.
   */
  #sharedToken(scopes: Scope[], chosen: ChosenCredential, signal?: AbortSignal): Promise<CachedToken> {
    const wanted = mergeScopes(this.#remember(scopes));
    const key = `${chosen.id} ${wanted.map(formatScope).join(" ")}`;
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = this.#newToken(wanted, chosen, signal).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  async #newToken(wanted: Scope[], chosen: ChosenCredential, signal?: AbortSignal): Promise<CachedToken> {
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
      credential: chosen.credential,
      registry: this.#opts.registry,
      registryIsPlain: this.#opts.registryIsPlain(),
      dispatcher: this.#opts.dispatcher,
      userAgent: this.#opts.userAgent,
      signal,
    });
    const cached = { ...token, scopes: wanted, credentialId: chosen.id };
    this.#tokens.push(cached);
    return cached;
  }
}

/** Tells credentials apart without keeping their secrets in cache keys: a sha256 of every field. */
function credentialId(cred: Credential | undefined): string {
  if (cred === undefined) return "anonymous";
  const fields = [cred.username, cred.password, cred.identityToken, cred.registryToken];
  return createHash("sha256").update(JSON.stringify(fields)).digest("hex");
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
