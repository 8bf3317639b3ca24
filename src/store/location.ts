/**
 * Image locations with skopeo's transport names: `docker://REF` (or a bare
 * reference), `oci:DIR[:REF]`, `oci-archive:FILE[:REF]`,
 * `docker-archive:FILE[:REF]`, `dir:DIR` and airlock's `bundle:FILE[:REF]`.
 * As in skopeo, the path ends at the first ":" after the transport.
 */
import { AirlockError } from "../errors.js";
import { formatReference, parseReference, type Reference } from "../ref/reference.js";

/** Transports that name a file or directory. */
export type FileTransport = "oci" | "oci-archive" | "docker-archive" | "dir" | "bundle";

export type ImageLocation =
  { transport: "docker"; reference: Reference } | { transport: FileTransport; path: string; ref?: string };

const FILE_TRANSPORTS: readonly FileTransport[] = ["oci", "oci-archive", "docker-archive", "dir", "bundle"];

/** skopeo transports airlock knows of but does not read or write. */
const FOREIGN = ["containers-storage", "docker-daemon", "ostree", "sif", "tarball"];

const DOCKER = "docker://";
/** `name://`, as in docker://REF. */
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

const EXPECTED =
  "expected docker://REF (or a bare reference), oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:REF], dir:DIR or bundle:FILE[:REF]";

function usage(message: string): AirlockError {
  return new AirlockError("ERR_USAGE", message);
}

/**
 * Parses an image location.
 * @throws AirlockError ERR_USAGE for an unknown or unsupported transport or an
 *   empty path; ERR_REF_INVALID for a bad reference.
 */
export function parseLocation(input: string): ImageLocation {
  const scheme = SCHEME.exec(input);
  if (scheme !== null) {
    if (scheme[1] === "docker") {
      return { transport: "docker", reference: parseReference(input.slice(DOCKER.length)) };
    }
    throw unknownTransport(scheme[1] ?? "", input);
  }
  const colon = input.indexOf(":");
  const prefix = colon === -1 ? "" : input.slice(0, colon);
  const transport = FILE_TRANSPORTS.find((t) => t === prefix);
  if (transport !== undefined) return fileLocation(transport, input.slice(colon + 1), input);
  if (prefix === "docker")
    throw usage(`"${input}": write docker://REF (with two slashes) or a bare reference`);
  if (FOREIGN.includes(prefix)) {
    throw usage(`transport "${prefix}:" in "${input}" is not supported by airlock; ${EXPECTED}`);
  }
  try {
    return { transport: "docker", reference: parseReference(input) };
  } catch (err) {
    if (/^[a-z][a-z0-9-]*$/.test(prefix)) throw unknownTransport(prefix, input);
    throw err;
  }
}

/**
 * A registry reference (or repository, or registry host) as a command that only
 * speaks to registries takes it: `docker://X` is X, a bare X stays; a file
 * transport is refused with one line naming what the command needs.
 * @throws AirlockError ERR_USAGE for any other transport.
 */
export function registryReference(input: string, needs: string): string {
  if (input.startsWith(DOCKER)) return input.slice(DOCKER.length);
  const scheme = SCHEME.exec(input)?.[1];
  const prefix = scheme ?? input.slice(0, Math.max(0, input.indexOf(":")));
  const named = [...FILE_TRANSPORTS, ...FOREIGN, "docker"].includes(prefix);
  if (scheme === undefined && !named) return input;
  const location = parseLocation(input); // an unsupported or malformed transport is refused here
  throw usage(
    `${needs}: "${input}" is a local location (${location.transport}:), not a registry reference (docker://REF or REF)`,
  );
}

function unknownTransport(name: string, input: string): AirlockError {
  return usage(`unknown transport "${name}" in "${input}"; ${EXPECTED}`);
}

function fileLocation(transport: FileTransport, rest: string, input: string): ImageLocation {
  const colon = rest.indexOf(":");
  const path = colon === -1 ? rest : rest.slice(0, colon);
  const ref = colon === -1 ? undefined : rest.slice(colon + 1);
  if (path === "") throw usage(`"${input}" names no ${transport === "dir" ? "directory" : "file"}`);
  if (transport === "dir" && ref !== undefined) {
    throw usage(`"${input}": dir: takes a directory only (dir:DIR), no reference`);
  }
  if (ref === "") throw usage(`"${input}": nothing follows the ":" after the path`);
  return ref === undefined ? { transport, path } : { transport, path, ref };
}

/** The location as a string parseLocation reads back. */
export function formatLocation(location: ImageLocation): string {
  if (location.transport === "docker") return `docker://${formatReference(location.reference)}`;
  const ref = location.ref === undefined ? "" : `:${location.ref}`;
  return `${location.transport}:${location.path}${ref}`;
}
