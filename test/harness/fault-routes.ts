/**
 * Reply builders for the fault server: plain statuses, registry error
 * bodies, manifests, blobs (with Range, a cut connection or wrong bytes),
 * redirects, 401 challenges and a conditional reply.
 */
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { sha256Digest } from "../../src/oci/digest.js";
import type { FaultRequest, Reply } from "./fault-server.js";

/** Answers `code` with optional headers and a body (objects are sent as JSON). */
export function status(code: number, headers: OutgoingHttpHeaders = {}, body?: string | object): Reply {
  return (req, res) => {
    const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
    const type = typeof body === "object" ? { "content-type": "application/json" } : {};
    res.writeHead(code, { ...type, "content-length": Buffer.byteLength(text), ...headers });
    res.end(req.method === "HEAD" ? undefined : text);
  };
}

/** A registry error response: `{"errors":[{code,message}]}`. */
export function registryError(code: number, errorCode: string, headers: OutgoingHttpHeaders = {}): Reply {
  return status(code, headers, { errors: [{ code: errorCode, message: `fault server: ${errorCode}` }] });
}

/** 200 with a JSON body. */
export function json(value: unknown, headers: OutgoingHttpHeaders = {}): Reply {
  return status(200, headers, value as object);
}

/** A redirect (307 unless told) to an absolute or relative Location. */
export function redirect(location: string, code = 307): Reply {
  return status(code, { location });
}

/** 401 with one WWW-Authenticate header per challenge, e.g. `Basic realm="x"`. */
export function challenge(...challenges: string[]): Reply {
  return registryError(401, "UNAUTHORIZED", { "www-authenticate": challenges });
}

/** `allowed` when `test(req)` holds, else `refused`. */
export function when(test: (req: FaultRequest) => boolean, allowed: Reply, refused: Reply): Reply {
  return (req, res) => (test(req) ? allowed(req, res) : refused(req, res));
}

export interface ManifestReplyOptions {
  mediaType?: string;
  /** Docker-Content-Digest to send; null omits it; default: the true digest. */
  digestHeader?: string | null;
}

/** A manifest (GET) or its headers (HEAD). */
export function manifest(bytes: Buffer, options: ManifestReplyOptions = {}): Reply {
  return (req, res) => {
    const headers: OutgoingHttpHeaders = {
      "content-type": options.mediaType ?? "application/vnd.oci.image.manifest.v1+json",
      "content-length": bytes.length,
    };
    const digest = options.digestHeader === undefined ? sha256Digest(bytes) : options.digestHeader;
    if (digest !== null) headers["docker-content-digest"] = digest;
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : bytes);
  };
}

export interface BlobReplyOptions {
  /** Answer `Range: bytes=N-` with 206 and Content-Range (otherwise Range is ignored: 200, whole body). */
  honourRange?: boolean;
  /** Send this many body bytes of the response, then destroy the socket. */
  cutAfter?: number;
}

/** A blob, honouring Range or cutting the connection as scripted. */
export function blob(bytes: Buffer, options: BlobReplyOptions = {}): Reply {
  return (req, res) => {
    const start = options.honourRange === true ? rangeStart(req.headers.range) : undefined;
    const body = start === undefined ? bytes : bytes.subarray(start);
    const headers: OutgoingHttpHeaders = {
      "content-type": "application/octet-stream",
      "content-length": body.length,
      "docker-content-digest": sha256Digest(bytes),
    };
    if (start !== undefined) headers["content-range"] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`;
    res.writeHead(start === undefined ? 200 : 206, headers);
    if (req.method === "HEAD") res.end();
    else if (options.cutAfter === undefined) res.end(body);
    else cutConnection(res, body.subarray(0, options.cutAfter));
  };
}

/** Writes `partial`, lets it reach the client, then destroys the socket mid-response. */
export function cutConnection(res: ServerResponse, partial: Buffer, delayMs = 50): void {
  res.write(partial, () => {
    setTimeout(() => res.socket?.destroy(), delayMs);
  });
}

function rangeStart(header: string | undefined): number | undefined {
  const match = /^bytes=(\d+)-$/.exec(header ?? "");
  return match === null ? undefined : Number(match[1]);
}
