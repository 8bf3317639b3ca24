import { request, type Dispatcher } from "undici";
import { AirlockError, messageOf } from "../errors.js";
import type { Credential } from "./credentials.js";
import { markAnsweredOn, networkContextOf } from "./dispatcher.js";
import { redactUrl } from "./http-errors.js";
import { networkError } from "./network-error.js";
import { isLoopbackRegistry } from "../ref/reference.js";
import { formatScope, type Scope } from "./scope.js";

export interface TokenRequest {
  realm: string;
  service?: string;
  scopes: Scope[];
  credential?: Credential;
  /** The registry the token is for; named in errors. */
  registry: string;
  /** True when the registry itself is spoken to over plain HTTP. */
  registryIsPlain: boolean;
  dispatcher: Dispatcher;
  userAgent: string;
  signal?: AbortSignal;
}

export interface Token {
  token: string;
  /** Epoch ms after which the token is not used. */
  expiresAt: number;
}

const MIN_LIFETIME_S = 60;
const RENEW_EARLY_MS = 5_000;
const MAX_TOKEN_BODY = 1024 * 1024;

/**
 * Fetches a bearer token from the realm: an OAuth2 POST when an identity
 * token is known (falling back to GET on 404/405), else a GET with Basic
 * credentials when there are any, else anonymously.
 */
export async function fetchToken(req: TokenRequest): Promise<Token> {
  const realm = checkRealm(req);
  if (req.credential?.identityToken !== undefined) {
    const res = await postOAuth2(realm, req);
    if (res !== undefined) return res;
  }
  return await getToken(realm, req);
}

function checkRealm(req: TokenRequest): URL {
  let url: URL;
  try {
    url = new URL(req.realm);
  } catch (err) {
    throw new AirlockError("ERR_AUTH", `${req.registry} sent an invalid token realm "${req.realm}"`, {
      cause: err,
    });
  }
  const plainOk = req.registryIsPlain || isLoopbackRegistry(url.host);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && plainOk)) {
    throw new AirlockError(
      "ERR_AUTH",
      `${req.registry} asks for tokens from ${redactUrl(url)}, which is not https: refusing to send credentials there`,
    );
  }
  return url;
}

async function getToken(realm: URL, req: TokenRequest): Promise<Token> {
  const url = new URL(realm);
  if (req.service !== undefined) url.searchParams.set("service", req.service);
  for (const scope of req.scopes) url.searchParams.append("scope", formatScope(scope));
  const headers: Record<string, string> = { "user-agent": req.userAgent, accept: "application/json" };
  const cred = req.credential;
  if (cred?.username !== undefined && cred.password !== undefined) {
    url.searchParams.set("account", cred.username);
    headers.authorization = "Basic " + Buffer.from(`${cred.username}:${cred.password}`).toString("base64");
  }
  return await exchange(url, { method: "GET", headers }, req);
}

async function postOAuth2(realm: URL, req: TokenRequest): Promise<Token | undefined> {
  const form = new URLSearchParams({
    grant_type: "refresh_token",
    refresh_token: req.credential?.identityToken ?? "",
    client_id: "airlock",
  });
  if (req.service !== undefined) form.set("service", req.service);
  form.set("scope", req.scopes.map(formatScope).join(" "));
  const headers = { "user-agent": req.userAgent, "content-type": "application/x-www-form-urlencoded" };
  try {
    return await exchange(realm, { method: "POST", headers, body: form.toString() }, req);
  } catch (err) {
    if (err instanceof AirlockError && /HTTP (404|405)/.test(err.message)) return undefined;
    throw err;
  }
}

interface Exchange {
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
}

async function exchange(url: URL, ex: Exchange, req: TokenRequest): Promise<Token> {
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, { ...ex, dispatcher: req.dispatcher, signal: req.signal });
  } catch (err) {
    throw networkError(err, url.host, ex.method, url, networkContextOf(req.dispatcher, url));
  }
  markAnsweredOn(req.dispatcher, url);
  const text = await readCapped(res.body);
  if (res.statusCode === 401 || res.statusCode === 403) {
    const hint = req.credential
      ? "check the username and password (airlock login)"
      : "log in first (airlock login)";
    throw new AirlockError(
      "ERR_AUTH",
      `authentication to ${req.registry} failed: the token service refused (HTTP ${res.statusCode}); ${hint}`,
    );
  }
  if (res.statusCode !== 200) {
    throw new AirlockError(
      "ERR_AUTH",
      `token service ${redactUrl(url)} for ${req.registry} answered HTTP ${res.statusCode}`,
      { retryable: res.statusCode >= 500 },
    );
  }
  return parseTokenBody(text, req.registry);
}

async function readCapped(body: Dispatcher.ResponseData["body"]): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_TOKEN_BODY) {
      body.destroy();
      throw new AirlockError("ERR_AUTH", "token response is larger than 1 MiB");
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseTokenBody(text: string, registry: string): Token {
  let json: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch (err) {
    throw new AirlockError("ERR_AUTH", `token service for ${registry} sent invalid JSON: ${messageOf(err)}`);
  }
  const token = typeof json.token === "string" && json.token ? json.token : json.access_token;
  if (typeof token !== "string" || token === "") {
    throw new AirlockError("ERR_AUTH", `token service for ${registry} sent no token`);
  }
  const lifetime = Math.max(MIN_LIFETIME_S, typeof json.expires_in === "number" ? json.expires_in : 0);
  // Lifetimes count from now: a registry's clock may be skewed, so issued_at is not trusted.
  return { token, expiresAt: Date.now() + lifetime * 1000 - RENEW_EARLY_MS };
}
