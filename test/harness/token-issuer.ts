/**
 * A small Docker token server (the `auth.token` realm) for tests. The test
 * user (and any extra user) gets every action it asks for on repositories and the catalog; anonymous
 * callers get `pull` on repositories only, like a public registry; wrong
 * credentials get 401. Every request is recorded for assertions.
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { makeSelfSignedCert } from "./pki.js";
import { createSigningKey, parseScope, signToken, type AccessEntry, type SigningKey } from "./token-jwt.js";

export interface TokenRequestRecord {
  method: string;
  /** GET: the `account` parameter; POST: the `username` of a password grant. */
  account?: string;
  service?: string;
  scopes: string[];
  /** True when the request carried valid credentials (or a valid refresh token). */
  authorized: boolean;
  status: number;
}

/** A user of the issuer; with `namespaces`, granted only repositories in them (and no catalog). */
export interface TokenUser {
  username: string;
  password: string;
  /** e.g. ["team"]: team/app yes, teamx/app and other/app only what anonymous gets. */
  namespaces?: string[];
}

export interface TokenIssuerOptions {
  username: string;
  password: string;
  /** Users accepted besides `username`. */
  users?: TokenUser[];
  /** Where the signing key and its certificate are written. */
  dir: string;
  issuer?: string;
  service?: string;
}

export interface TokenIssuer {
  /** URL for `auth.token.realm`. */
  realm: string;
  issuer: string;
  service: string;
  /** PEM certificate of the signing key, for `auth.token.rootcertbundle`. */
  rootCertFile: string;
  requests: TokenRequestRecord[];
  close(): Promise<void>;
}

/** Who is asking: a user name, "anonymous", or undefined for bad credentials. */
type Caller = { user: string } | "anonymous" | undefined;

interface TokenRequest {
  caller: Caller;
  scopes: string[];
  service?: string;
  account?: string;
  wantsRefreshToken: boolean;
}

const EXPIRES_IN_SECONDS = 300;
const MAX_FORM_BYTES = 64 * 1024;

export async function startTokenIssuer(options: TokenIssuerOptions): Promise<TokenIssuer> {
  const key = createSigningKey();
  const rootCertFile = await writeRootCert(key, options.dir);
  const issuer = options.issuer ?? "airlock-test-issuer";
  const service = options.service ?? "airlock-test-registry";
  const requests: TokenRequestRecord[] = [];
  const refreshTokens = new Map<string, string>();
  const context: IssuerContext = { options, key, issuer, service, requests, refreshTokens };
  const server = createServer((req, res) => {
    handleRequest(context, req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  const port = await listen(server);
  const close = (): Promise<void> => closeServer(server);
  return { realm: `http://127.0.0.1:${port}/token`, issuer, service, rootCertFile, requests, close };
}

interface IssuerContext {
  options: TokenIssuerOptions;
  key: SigningKey;
  issuer: string;
  service: string;
  requests: TokenRequestRecord[];
  refreshTokens: Map<string, string>;
}

async function handleRequest(
  context: IssuerContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const method = req.method ?? "GET";
  if (url.pathname !== "/token" || (method !== "GET" && method !== "POST")) {
    sendJson(res, 404, {
      errors: [{ code: "NOT_FOUND", message: `no such endpoint: ${method} ${url.pathname}` }],
    });
    return;
  }
  const request = method === "GET" ? readGetRequest(context, req, url) : await readPostRequest(context, req);
  const status = request.caller === undefined ? 401 : 200;
  context.requests.push(recordOf(method, request, status));
  if (request.caller === undefined) {
    res.setHeader("WWW-Authenticate", `Basic realm="${context.issuer}"`);
    sendJson(res, 401, {
      errors: [{ code: "UNAUTHORIZED", message: "invalid username, password or token" }],
    });
    return;
  }
  sendJson(res, 200, issueTokenResponse(context, request, request.caller));
}

function readGetRequest(context: IssuerContext, req: IncomingMessage, url: URL): TokenRequest {
  return {
    caller: callerFromAuthorization(context.options, req.headers.authorization),
    scopes: url.searchParams.getAll("scope").flatMap(splitScopes),
    service: url.searchParams.get("service") ?? undefined,
    account: url.searchParams.get("account") ?? undefined,
    wantsRefreshToken: false,
  };
}

/** OAuth2 form: grant_type=password (username, password) or grant_type=refresh_token. */
async function readPostRequest(context: IssuerContext, req: IncomingMessage): Promise<TokenRequest> {
  const form = new URLSearchParams(await readBody(req));
  const grantType = form.get("grant_type");
  const username = form.get("username") ?? undefined;
  let caller: Caller = undefined;
  if (grantType === "password") {
    caller = checkPassword(context.options, username, form.get("password") ?? undefined);
  } else if (grantType === "refresh_token") {
    const user = context.refreshTokens.get(form.get("refresh_token") ?? "");
    caller = user === undefined ? undefined : { user };
  }
  return {
    caller,
    scopes: splitScopes(form.get("scope") ?? ""),
    service: form.get("service") ?? undefined,
    account: username,
    wantsRefreshToken: grantType === "password",
  };
}

type TokenResponse = Record<string, string | number>;

function issueTokenResponse(
  context: IssuerContext,
  request: TokenRequest,
  caller: Exclude<Caller, undefined>,
): TokenResponse {
  const subject = caller === "anonymous" ? "" : caller.user;
  const namespaces = caller === "anonymous" ? undefined : namespacesOf(context.options, caller.user);
  const access = grantAccess(request.scopes, caller !== "anonymous", namespaces);
  const claims = { issuer: context.issuer, audience: context.service, subject, access };
  const token = signToken(context.key, { ...claims, expiresInSeconds: EXPIRES_IN_SECONDS });
  const response: TokenResponse = {
    token,
    access_token: token,
    expires_in: EXPIRES_IN_SECONDS,
    issued_at: new Date().toISOString(),
  };
  if (request.wantsRefreshToken && caller !== "anonymous") {
    const refreshToken = randomBytes(24).toString("base64url");
    context.refreshTokens.set(refreshToken, caller.user);
    response.refresh_token = refreshToken;
  }
  return response;
}

/**
 * The user gets what it asked for on repositories and the catalog, or, when
 * confined to namespaces, on repositories in them alone; anonymous gets
 * repository pulls.
 */
export function grantAccess(scopes: string[], authenticated: boolean, namespaces?: string[]): AccessEntry[] {
  const granted: AccessEntry[] = [];
  for (const entry of scopes.map(parseScope)) {
    if (entry === undefined) continue;
    const isCatalog = entry.type === "registry" && entry.name === "catalog";
    if (entry.type !== "repository" && !isCatalog) continue;
    const inside =
      namespaces === undefined ||
      (entry.type === "repository" && namespaces.some((n) => entry.name.startsWith(`${n}/`)));
    // A user confined to namespaces gets nothing outside them, not even an anonymous pull.
    if (!inside) continue;
    const actions = authenticated
      ? entry.actions
      : entry.type === "repository"
        ? pullOnly(entry.actions)
        : [];
    if (actions.length > 0) granted.push({ ...entry, actions });
  }
  return granted;
}

function pullOnly(actions: string[]): string[] {
  return actions.filter((action) => action === "pull");
}

function callerFromAuthorization(options: TokenIssuerOptions, header: string | undefined): Caller {
  if (header === undefined) return "anonymous";
  const match = /^Basic\s+(\S+)$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return checkPassword(options, decoded.slice(0, colon), decoded.slice(colon + 1));
}

function namespacesOf(options: TokenIssuerOptions, user: string): string[] | undefined {
  return options.users?.find((u) => u.username === user)?.namespaces;
}

function checkPassword(options: TokenIssuerOptions, username?: string, password?: string): Caller {
  const users = [{ username: options.username, password: options.password }, ...(options.users ?? [])];
  const known = users.some((u) => u.username === username && u.password === password);
  return known && username !== undefined ? { user: username } : undefined;
}

function recordOf(method: string, request: TokenRequest, status: number): TokenRequestRecord {
  const authorized = request.caller !== undefined && request.caller !== "anonymous";
  const record: TokenRequestRecord = { method, scopes: request.scopes, authorized, status };
  if (request.account !== undefined) record.account = request.account;
  if (request.service !== undefined) record.service = request.service;
  return record;
}

function splitScopes(value: string): string[] {
  return value.split(" ").filter((scope) => scope !== "");
}

async function writeRootCert(key: SigningKey, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const keyFile = join(dir, "token-signing.key");
  const certFile = join(dir, "token-signing.crt");
  await writeFile(keyFile, key.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  await makeSelfSignedCert(keyFile, certFile, "airlock test token issuer");
  return certFile;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_FORM_BYTES) throw new Error("token request body too large");
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
  res.end(JSON.stringify(body));
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
