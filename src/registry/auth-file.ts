/**
 * The auth files users already have: docker's `config.json` and the
 * containers `auth.json` (same format). Reading, key normalisation, decoding
 * of `auths` entries, and the edits `airlock login`/`logout` make.
 * Nothing here puts a secret into an error message.
 */

import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { AirlockError, messageOf } from "../errors.js";
import { writeFileAtomic } from "../stream/atomic-file.js";

export interface Credential {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (docker `identitytoken`, or helper Username "<token>"). */
  identityToken?: string;
  /** Bearer token to use directly (docker `registrytoken`). */
  registryToken?: string;
}

/** One parsed auth file; `content` is the whole JSON object, kept for rewriting. */
export interface AuthFile {
  path: string;
  content: Record<string, unknown>;
  auths: Record<string, unknown>;
  credHelpers: Record<string, string>;
  credsStore?: string;
}

/** The canonical name airlock matches Docker Hub under. */
export const DOCKER_HUB_HOST = "docker.io";
/** The key (and helper server URL) docker uses for Docker Hub logins. */
export const DOCKER_HUB_LOGIN_KEY = "https://index.docker.io/v1/";
const DOCKER_HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Normalises an `auths`/`credHelpers` key (or a registry name) for matching:
 * a key with an http(s) scheme loses the scheme and its path
 * (`https://index.docker.io/v1/` → `docker.io`); a key without one keeps its
 * namespace path (`ghcr.io/team`). The host is lower-cased and the Docker Hub
 * aliases become `docker.io`.
 */
export function normalizeAuthKey(key: string): string {
  const trimmed = key.trim();
  const withoutScheme = trimmed.replace(/^https?:\/\//i, "");
  const [host = "", ...path] = withoutScheme.split("/");
  const canonical = canonicalHost(host);
  const namespace = withoutScheme === trimmed ? path.filter((s) => s !== "").join("/") : "";
  return namespace === "" ? canonical : `${canonical}/${namespace}`;
}

function canonicalHost(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB_HOST : lower;
}

/** The keys to look a repository up under, longest first: `host/a/b`, `host/a`, `host`. */
export function lookupKeys(host: string, repository: string | undefined): string[] {
  const segments = (repository ?? "").split("/").filter((s) => s !== "");
  const keys: string[] = [];
  for (let n = segments.length; n > 0; n--) keys.push(`${host}/${segments.slice(0, n).join("/")}`);
  keys.push(host);
  return keys;
}

/**
 * Reads and parses an auth file. Returns undefined when it does not exist.
 * Throws ERR_CREDENTIALS when it is not valid JSON or has fields of the wrong
 * type, ERR_FILE when it cannot be read.
 */
export async function readAuthFile(path: string): Promise<AuthFile | undefined> {
  const text = await readTextIfExists(path);
  return text === undefined ? undefined : parseAuthFile(path, text);
}

async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new AirlockError("ERR_FILE", `${path}: cannot read: ${messageOf(err)}`, { cause: err });
  }
}

/** Parses the text of an auth file; an empty file is an empty configuration, as for docker. */
export function parseAuthFile(path: string, text: string): AuthFile {
  const content = parseJsonObject(path, text);
  const auths = content.auths ?? {};
  if (!isRecord(auths)) throw invalid(path, `"auths" is not an object`);
  const credHelpers = content.credHelpers ?? {};
  if (!isRecord(credHelpers) || !Object.values(credHelpers).every((v) => typeof v === "string")) {
    throw invalid(path, `"credHelpers" is not an object of helper names`);
  }
  const credsStore = content.credsStore ?? "";
  if (typeof credsStore !== "string") throw invalid(path, `"credsStore" is not a string`);
  const file: AuthFile = { path, content, auths, credHelpers: credHelpers as Record<string, string> };
  if (credsStore !== "") file.credsStore = credsStore;
  return file;
}

function parseJsonObject(path: string, text: string): Record<string, unknown> {
  const body = text.replace(/^\uFEFF/, "");
  if (body.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    // No `cause`: V8's SyntaxError quotes the file's text, which may hold secrets.
    throw invalid(path, `not valid JSON: ${describeSyntaxError(body, err)}`);
  }
  if (!isRecord(parsed)) throw invalid(path, "not a JSON object");
  return parsed;
}

/** Where JSON.parse failed, as line and column, without quoting any of the text. */
function describeSyntaxError(text: string, err: unknown): string {
  const message = messageOf(err);
  if (message.startsWith("Unexpected end")) return "unexpected end of file";
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position === undefined) return "syntax error";
  const before = text.slice(0, Number(position));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return `syntax error at line ${line}, column ${column}`;
}

function invalid(path: string, what: string): AirlockError {
  return new AirlockError("ERR_CREDENTIALS", `${path}: ${what}`);
}

/**
 * The credential stored in the file under the first of `keys` (already
 * normalised, longest first) that has one. Among equivalent keys the one
 * spelled exactly like the lookup key comes first. Entries without a
 * credential (`{}` helper markers) are passed over.
 */
export function findStoredCredential(file: AuthFile, keys: string[]): Credential | undefined {
  for (const key of keys) {
    for (const rawKey of rawKeysFor(file.auths, key)) {
      const cred = decodeEntry(file.path, rawKey, file.auths[rawKey]);
      if (cred !== undefined) return cred;
    }
  }
  return undefined;
}

function rawKeysFor(record: Record<string, unknown>, normalizedKey: string): string[] {
  const matches = Object.keys(record).filter((k) => normalizeAuthKey(k) === normalizedKey);
  return matches.sort((a, b) => Number(b === normalizedKey) - Number(a === normalizedKey));
}

/** The per-registry helper (`credHelpers`) configured for `host`, if any. */
export function credHelperFor(file: AuthFile, host: string): string | undefined {
  const key = rawKeysFor(file.credHelpers, host)[0];
  const helper = key === undefined ? undefined : file.credHelpers[key];
  return helper === "" ? undefined : helper;
}

/** The server URL to hand a helper for `host`: the `auths` key docker stored, else docker's spelling. */
export function helperServerURL(file: AuthFile, host: string): string {
  return rawKeysFor(file.auths, host)[0] ?? loginKey(host);
}

function decodeEntry(path: string, key: string, entry: unknown): Credential | undefined {
  const where = `auths[${JSON.stringify(key)}]`;
  if (!isRecord(entry)) throw invalid(path, `${where} is not an object`);
  const field = (name: string): string | undefined => stringField(path, `${where}.${name}`, entry[name]);
  const cred: Credential = {};
  const auth = field("auth");
  const basic = auth === undefined ? undefined : decodeBasicAuth(path, where, auth);
  const username = basic === undefined ? field("username") : nonEmpty(basic.username);
  const password = basic === undefined ? field("password") : nonEmpty(basic.password);
  const identityToken = field("identitytoken");
  const registryToken = field("registrytoken");
  if (username !== undefined) cred.username = username;
  if (password !== undefined) cred.password = password;
  if (identityToken !== undefined) cred.identityToken = identityToken;
  if (registryToken !== undefined) cred.registryToken = registryToken;
  return Object.keys(cred).length > 0 ? cred : undefined;
}

/** A string field's value, undefined when absent or empty; never echoes the value in errors. */
function stringField(path: string, where: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalid(path, `${where} is not a string`);
  return value === "" ? undefined : value;
}

function nonEmpty(value: string): string | undefined {
  return value === "" ? undefined : value;
}

/** base64 `user:password`, split on the first ":", trailing NULs trimmed. */
function decodeBasicAuth(path: string, where: string, auth: string): { username: string; password: string } {
  const text = decodeBase64Utf8(auth.trim());
  const colon = text?.indexOf(":") ?? -1;
  if (text === undefined || colon < 0) throw invalid(path, `${where}.auth is not base64 of "user:password"`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1).replace(/\0+$/, "") };
}

function decodeBase64Utf8(value: string): string | undefined {
  if (!BASE64.test(value)) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(value, "base64"));
  } catch {
    return undefined;
  }
}

/** The `auths` key `airlock login` writes for a normalised host: docker's URL for Docker Hub, else the host. */
export function loginKey(host: string): string {
  return host === DOCKER_HUB_HOST ? DOCKER_HUB_LOGIN_KEY : host;
}

/** Sets the login for `host` in a file's content, replacing any entry under an equivalent key. */
export function setLoginEntry(content: Record<string, unknown>, host: string, basicAuth: string): void {
  deleteLoginEntries(content, host);
  const auths = isRecord(content.auths) ? content.auths : {};
  auths[loginKey(host)] = { auth: basicAuth };
  content.auths = auths;
}

/** Deletes the entries for `host` (under any equivalent key) from a file's content; true if any existed. */
export function deleteLoginEntries(content: Record<string, unknown>, host: string): boolean {
  const auths = content.auths;
  if (!isRecord(auths)) return false;
  const keys = rawKeysFor(auths, host);
  for (const key of keys) Reflect.deleteProperty(auths, key);
  return keys.length > 0;
}

/** Writes a file's content back atomically, mode 0600, creating its directory (0700) when missing. */
export async function writeAuthFile(path: string, content: Record<string, unknown>): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new AirlockError("ERR_FILE", `${dirname(path)}: cannot create directory: ${messageOf(err)}`, {
      cause: err,
    });
  }
  await writeFileAtomic(path, `${JSON.stringify(content, null, "\t")}\n`, { mode: 0o600 });
}
