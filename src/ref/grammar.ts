/**
 * The grammar of image references, after distribution/reference (`regexp.go`,
 * `normalize.go`). Each `find…Problem` function returns a short description of
 * what is wrong, for an error message, or `undefined` when the value is valid.
 */

/** Docker Hub as it appears in normalised references. */
export const DOCKER_HUB = "docker.io";
/** The legacy Docker Hub name, normalised to {@link DOCKER_HUB}. */
export const LEGACY_DOCKER_HUB = "index.docker.io";
/** Longest repository path distribution accepts. */
export const MAX_PATH_LENGTH = 255;
/** Longest tag the grammar accepts. */
export const MAX_TAG_LENGTH = 128;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const HOST = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::([0-9]+))?$`,
);
const TAG = /^\w[\w.-]*$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const BARE_IDENTIFIER = /^[a-f0-9]{64}$/;
/** Hex length of the algorithms go-digest registers; their hex must also be lowercase. */
const KNOWN_DIGEST_HEX_LENGTHS = new Map([
  ["sha256", 64],
  ["sha384", 96],
  ["sha512", 128],
]);

const TAG_EXPECTED = `expected up to ${MAX_TAG_LENGTH} letters, digits, "_", "." or "-", not starting with "." or "-"`;
const COMPONENT_EXPECTED = 'expected lowercase letters and digits, separated by ".", "_", "__" or "-"';
const HOST_EXPECTED = "expected HOST[:PORT] where HOST is a DNS name, an IPv4 address or an [IPv6] address";

/** A bare 64-hex string, which Docker reads as an image ID rather than a name. */
export function isBareIdentifier(input: string): boolean {
  return BARE_IDENTIFIER.test(input);
}

/**
 * Whether the first "/"-separated component of a name is a registry host
 * (distribution's `splitDockerDomain`): it is `localhost`, contains "." or ":",
 * or has uppercase letters. Otherwise the name is on Docker Hub.
 */
export function looksLikeHost(component: string): boolean {
  return component === "localhost" || /[.:]/.test(component) || component !== component.toLowerCase();
}

/** Checks a tag against `[\w][\w.-]{0,127}`. */
export function findTagProblem(tag: string): string | undefined {
  if (tag.length > MAX_TAG_LENGTH) {
    return `tag is ${tag.length} characters long; the limit is ${MAX_TAG_LENGTH}`;
  }
  if (!TAG.test(tag)) return `tag ${JSON.stringify(tag)} is invalid; ${TAG_EXPECTED}`;
  return undefined;
}

/** Checks `ALGORITHM:HEX`; sha256, sha384 and sha512 need their exact lowercase hex length. */
export function findDigestProblem(digest: string): string | undefined {
  const colon = digest.indexOf(":");
  const algorithm = colon === -1 ? "" : digest.slice(0, colon);
  const hexLength = KNOWN_DIGEST_HEX_LENGTHS.get(algorithm);
  if (hexLength !== undefined) {
    const hex = digest.slice(colon + 1);
    if (new RegExp(`^[a-f0-9]{${hexLength}}$`).test(hex)) return undefined;
    return (
      `digest ${JSON.stringify(digest)} is invalid; ${algorithm} needs exactly ${hexLength} ` +
      `lowercase hex characters, got ${hex.length} characters`
    );
  }
  if (DIGEST.test(digest)) return undefined;
  return `digest ${JSON.stringify(digest)} is invalid; expected ALGORITHM:HEX such as "sha256:<64 hex>"`;
}

/** Checks `HOST[:PORT]` (DNS-like name, IPv4 or `[IPv6]`); the port must be 1-65535. */
export function findHostProblem(host: string): string | undefined {
  if (host === "") return `registry host is empty; ${HOST_EXPECTED}`;
  const match = HOST.exec(host);
  if (match === null) return `registry host ${JSON.stringify(host)} is invalid; ${HOST_EXPECTED}`;
  const port = match[1];
  if (port !== undefined && !isPortNumber(port)) {
    return `registry port ${port} is out of range; expected 1-65535`;
  }
  return undefined;
}

/** Whether a string of digits is a usable TCP port. */
export function isPortNumber(digits: string): boolean {
  const port = Number(digits);
  return /^[0-9]+$/.test(digits) && port >= 1 && port <= 65535;
}

/** Checks a repository path: lowercase components joined by single "/", at most 255 characters. */
export function findPathProblem(path: string): string | undefined {
  if (path === "") return 'repository path is empty; expected NAME or NAMESPACE/NAME after the registry "/"';
  if (path !== path.toLowerCase()) return "repository name must be lowercase";
  if (path.length > MAX_PATH_LENGTH) {
    return `repository path is ${path.length} characters long; the limit is ${MAX_PATH_LENGTH}`;
  }
  for (const component of path.split("/")) {
    if (component === "") {
      return `repository path ${JSON.stringify(path)} has an empty component; expected components joined by single "/"`;
    }
    if (!PATH_COMPONENT.test(component)) {
      return `repository path component ${JSON.stringify(component)} is invalid; ${COMPONENT_EXPECTED}`;
    }
  }
  return undefined;
}
