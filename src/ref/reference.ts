/**
 * Image references, parsed and normalised like distribution/reference's
 * `ParseNormalizedNamed`: "ubuntu" is "docker.io/library/ubuntu:latest".
 */

import { AirlockError } from "../errors.js";
import {
  DOCKER_HUB,
  LEGACY_DOCKER_HUB,
  findDigestProblem,
  findHostProblem,
  findPathProblem,
  findTagProblem,
  isBareIdentifier,
  looksLikeHost,
} from "./grammar.js";

/** A parsed, normalised image reference. */
export interface Reference {
  /** Registry host as written, normalised: "docker.io" for Docker Hub (index.docker.io → docker.io), "localhost:5000", "127.0.0.1:5000", "[::1]:5000", "ghcr.io". */
  registry: string;
  /** Repository path: "library/ubuntu" on Docker Hub for single-component names; never has a host. */
  repository: string;
  tag?: string;
  /** "sha256:<64 hex>" (other algorithms accepted by the grammar: alg:[[:xdigit:]]{32,}). */
  digest?: string;
}

/** The tag a reference gets when it names neither a tag nor a digest. */
export const DEFAULT_TAG = "latest";

const DOCKER_HUB_API_HOST = "registry-1.docker.io";
const REFERENCE_FORM = 'expected [REGISTRY/]REPOSITORY[:TAG][@DIGEST] such as "ubuntu:22.04"';

type Fail = (problem: string) => never;

function failFor(kind: "reference" | "repository" | "registry", input: string): Fail {
  return (problem) => {
    throw new AirlockError("ERR_REF_INVALID", `invalid ${kind} ${JSON.stringify(input)}: ${problem}`);
  };
}

/**
 * Parses "ubuntu", "ubuntu:22.04", "ghcr.io/a/b@sha256:…", "host:5000/a:tag@sha256:…".
 * When neither tag nor digest is given, tag = "latest". A name with both keeps
 * both (resolution uses the digest).
 * @throws AirlockError ERR_REF_INVALID, with a message that quotes the input.
 */
export function parseReference(input: string): Reference {
  const ref = parseParts(input, failFor("reference", input));
  if (ref.tag === undefined && ref.digest === undefined) ref.tag = DEFAULT_TAG;
  return ref;
}

/**
 * Parses a repository for commands that take one (`airlock ls REPO`): no tag
 * or digest allowed, no default tag.
 * @throws AirlockError ERR_REF_INVALID
 */
export function parseRepository(input: string): { registry: string; repository: string } {
  const fail = failFor("repository", input);
  const { registry, repository, tag, digest } = parseParts(input, fail);
  if (tag !== undefined || digest !== undefined) {
    const found = tag !== undefined ? `tag ${JSON.stringify(tag)}` : `digest ${JSON.stringify(digest)}`;
    fail(
      `a repository takes no tag or digest (found ${found}); expected [REGISTRY/]REPOSITORY such as "ghcr.io/org/app"`,
    );
  }
  return { registry, repository };
}

/**
 * Parses a registry for commands that take one (`airlock catalog REGISTRY`):
 * HOST[:PORT] or "docker.io"; an "https://" or "http://" scheme and trailing
 * "/" are stripped; a path is an error. "index.docker.io" becomes "docker.io".
 * @throws AirlockError ERR_REF_INVALID
 */
export function parseRegistry(input: string): string {
  const fail = failFor("registry", input);
  if (/\s/.test(input))
    fail('contains whitespace; expected HOST[:PORT] such as "ghcr.io" or "localhost:5000"');
  let host = stripScheme(input, fail);
  while (host.endsWith("/")) host = host.slice(0, -1);
  if (host.includes("/")) fail('a registry has no path; expected HOST[:PORT] such as "ghcr.io"');
  const problem = findHostProblem(host);
  if (problem !== undefined) fail(problem);
  return host === LEGACY_DOCKER_HUB ? DOCKER_HUB : host;
}

/** Canonical full string: "docker.io/library/ubuntu:latest", "host:5000/a/b:tag@sha256:…". */
export function formatReference(ref: Reference): string {
  const tag = ref.tag === undefined ? "" : `:${ref.tag}`;
  const digest = ref.digest === undefined ? "" : `@${ref.digest}`;
  return `${formatRepository(ref)}${tag}${digest}`;
}

/** Canonical repository string: "docker.io/library/ubuntu". */
export function formatRepository(ref: { registry: string; repository: string }): string {
  return `${ref.registry}/${ref.repository}`;
}

/** Host to talk HTTP to: docker.io (or index.docker.io) → "registry-1.docker.io"; others unchanged. */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB || registry === LEGACY_DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
}

/** True for Docker Hub under any of its names (docker.io, index.docker.io, registry-1.docker.io). */
export function isDockerHub(registry: string): boolean {
  return registryApiHost(registry) === DOCKER_HUB_API_HOST;
}

/**
 * True for localhost, *.localhost, 127.0.0.0/8 and ::1 (with or without port,
 * IPv6 in [ ]): hosts where plain HTTP may be used automatically. False for
 * anything that is not a valid registry host.
 */
export function isLoopbackRegistry(registry: string): boolean {
  if (findHostProblem(registry) !== undefined) return false;
  const hostname = splitHostPort(registry).hostname.toLowerCase();
  if (hostname === "localhost" || hostname.endsWith(".localhost")) return true;
  if (hostname.includes(":")) return isIpv6Loopback(hostname);
  const octets = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/.exec(
    hostname,
  );
  return octets !== null && octets[1] === "127" && octets.slice(2).every((octet) => Number(octet) <= 255);
}

/**
 * Splits "host:port" / "[::1]:5000" into hostname and port (port undefined
 * when absent). An IPv6 hostname comes back without its brackets ("::1").
 * @throws AirlockError ERR_REF_INVALID when the input is not HOST[:PORT].
 */
export function splitHostPort(registry: string): { hostname: string; port?: number } {
  const problem = findHostProblem(registry);
  if (problem !== undefined) failFor("registry", registry)(problem);
  const close = registry.startsWith("[") ? registry.indexOf("]") : -1;
  const colon = registry.indexOf(":", close + 1);
  const host = colon === -1 ? registry : registry.slice(0, colon);
  const hostname = close === -1 ? host : host.slice(1, -1);
  return colon === -1 ? { hostname } : { hostname, port: Number(registry.slice(colon + 1)) };
}

function parseParts(input: string, fail: Fail): Reference {
  if (input === "") fail(`it is empty; ${REFERENCE_FORM}`);
  if (/\s/.test(input)) fail(`contains whitespace; ${REFERENCE_FORM}`);
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(input)) {
    fail(`a transport or URL prefix such as "docker://" is not part of a reference; ${REFERENCE_FORM}`);
  }
  if (isBareIdentifier(input)) {
    fail('a bare 64-hex string is ambiguous with an image ID; to pin a digest write "NAME@sha256:<hex>"');
  }
  const { rest, digest } = splitDigest(input, fail);
  const { name, tag } = splitTag(rest, fail);
  if (name === "") fail(`the repository name is missing; ${REFERENCE_FORM}`);
  const { registry, repository } = splitName(name, fail);
  return {
    registry,
    repository,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  };
}

function splitDigest(input: string, fail: Fail): { rest: string; digest?: string } {
  const at = input.indexOf("@");
  if (at === -1) return { rest: input };
  const digest = input.slice(at + 1);
  if (digest === "") fail('nothing follows "@"; expected a digest such as "sha256:<64 hex>"');
  const problem = findDigestProblem(digest);
  if (problem !== undefined) fail(problem);
  return { rest: input.slice(0, at), digest };
}

/** The tag is after the first ":" of the last path component (a registry port comes before a "/"). */
function splitTag(rest: string, fail: Fail): { name: string; tag?: string } {
  const colon = rest.indexOf(":", rest.lastIndexOf("/") + 1);
  if (colon === -1) return { name: rest };
  const tag = rest.slice(colon + 1);
  if (tag === "") fail('nothing follows ":"; expected a tag such as "22.04"');
  const problem = findTagProblem(tag);
  if (problem !== undefined) fail(problem);
  return { name: rest.slice(0, colon), tag };
}

/** distribution's `splitDockerDomain`, plus validation of both halves. */
function splitName(name: string, fail: Fail): { registry: string; repository: string } {
  const slash = name.indexOf("/");
  const first = name.slice(0, Math.max(slash, 0));
  const hasHost = slash !== -1 && looksLikeHost(first);
  const registry = !hasHost || first === LEGACY_DOCKER_HUB ? DOCKER_HUB : first;
  let repository = hasHost ? name.slice(slash + 1) : name;
  if (registry === DOCKER_HUB && repository !== "" && !repository.includes("/")) {
    repository = `library/${repository}`;
  }
  const problem = (hasHost ? findHostProblem(registry) : undefined) ?? findPathProblem(repository);
  if (problem !== undefined) fail(problem);
  return { registry, repository };
}

function isIpv6Loopback(hostname: string): boolean {
  try {
    return new URL(`http://[${hostname}]/`).hostname === "[::1]";
  } catch {
    return false;
  }
}

function stripScheme(input: string, fail: Fail): string {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(input);
  if (scheme === null) return input;
  const name = (scheme[1] ?? "").toLowerCase();
  if (name !== "https" && name !== "http") {
    fail(
      `scheme "${name}://" is not supported; expected HOST[:PORT], optionally after "https://" or "http://"`,
    );
  }
  return input.slice(scheme[0].length);
}
