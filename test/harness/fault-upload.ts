/**
 * A strict in-memory upload endpoint for the fault server, so that fault
 * tests can script failures around uploads that otherwise work: sessions
 * whose Location changes on every answer (a stale one is refused, like GCR's
 * single-use URLs), PATCH `Content-Range` checked against what the session
 * holds (416 otherwise), `GET <location>` answering `Range: 0-N`, and a PUT
 * that stores a blob only when its bytes match `?digest=` (unless trusting).
 */
import type { ServerResponse } from "node:http";
import { sha256Digest } from "../../src/oci/digest.js";
import type { FaultRequest, FaultServer } from "./fault-server.js";

/** How a Location is written: "/v2/…", "http://host/v2/…", or relative to the request ("<id>?…"). */
export type LocationStyle = "absolute-path" | "absolute-url" | "relative-path";

export interface UploadFakeOptions {
  /** Default "x". */
  repository?: string;
  /** Sent as OCI-Chunk-Min-Length on the POST answer. */
  chunkMin?: number;
  /** The style of the nth Location issued (0 = the POST's). Default "absolute-path". */
  locationStyle?: (n: number) => LocationStyle;
  /** Store PUT bodies under `?digest=` without checking them (a registry trusting its clients). */
  trusting?: boolean;
}

/** A reply that answers at once (usable inside other replies without awaiting). */
export type SyncReply = (req: FaultRequest, res: ServerResponse) => void;

interface Session {
  bytes: Buffer;
  state: number;
}

/** The fake's state and replies; `install` routes all of them. */
export interface UploadFake {
  readonly blobs: Map<string, Buffer>;
  readonly sessions: Map<string, Session>;
  /** Every Location issued, resolved to path and query, in order. */
  readonly issued: string[];
  readonly start: SyncReply;
  readonly patch: SyncReply;
  readonly put: SyncReply;
  readonly status: SyncReply;
  readonly cancel: SyncReply;
  /** Appends bytes to the request's session without a new Location (a registry that kept part of a cut request). */
  keep(req: FaultRequest, bytes: Buffer): void;
  /** Routes POST, PATCH, PUT, GET and DELETE on the repository's upload paths to the replies. */
  install(server: FaultServer): void;
}

/** A fresh upload endpoint. */
export function createUploadFake(options: UploadFakeOptions = {}): UploadFake {
  const repo = options.repository ?? "x";
  const blobs = new Map<string, Buffer>();
  const sessions = new Map<string, Session>();
  const issued: string[] = [];
  let nextId = 0;

  const locate = (req: FaultRequest, id: string, session: Session): string => {
    const path = `/v2/${repo}/blobs/uploads/${id}?_state=s${session.state}`;
    const style = options.locationStyle?.(issued.length) ?? "absolute-path";
    issued.push(path);
    if (style === "absolute-url") return `${req.url.origin}${path}`;
    return style === "relative-path" ? path.slice(path.lastIndexOf("/") + 1) : path;
  };
  const advance = (req: FaultRequest, id: string, session: Session): string => {
    session.state++;
    return locate(req, id, session);
  };
  const found = (req: FaultRequest, res: ServerResponse): [string, Session] | undefined => {
    const id = req.url.pathname.slice(req.url.pathname.lastIndexOf("/") + 1);
    const session = sessions.get(id);
    if (session === undefined) refuse(res, 404, "BLOB_UPLOAD_UNKNOWN");
    else if (req.url.searchParams.get("_state") !== `s${session.state}`) {
      refuse(res, 404, "BLOB_UPLOAD_INVALID");
    } else return [id, session];
    return undefined;
  };

  const start: SyncReply = (req, res) => {
    const id = `u${nextId++}`;
    const session = { bytes: Buffer.alloc(0), state: 0 };
    sessions.set(id, session);
    const headers: Record<string, string> = { location: locate(req, id, session), "content-length": "0" };
    if (options.chunkMin !== undefined) headers["oci-chunk-min-length"] = String(options.chunkMin);
    res.writeHead(202, headers).end();
  };
  const patch: SyncReply = (req, res) => {
    const hit = found(req, res);
    if (hit === undefined) return;
    const [id, session] = hit;
    const range = /^(\d+)-(\d+)$/.exec(req.headers["content-range"] ?? "");
    if (range === null || Number(range[1]) !== session.bytes.length) {
      res.writeHead(416, {
        range: rangeOf(session),
        location: locate(req, id, session),
        "content-length": "0",
      });
      res.end();
      return;
    }
    session.bytes = Buffer.concat([session.bytes, req.body]);
    res.writeHead(202, {
      location: advance(req, id, session),
      range: rangeOf(session),
      "content-length": "0",
    });
    res.end();
  };
  const put: SyncReply = (req, res) => {
    const hit = found(req, res);
    if (hit === undefined) return;
    const [id, session] = hit;
    const bytes = Buffer.concat([session.bytes, req.body]);
    const digest = req.url.searchParams.get("digest") ?? "";
    if (!options.trusting && sha256Digest(bytes) !== digest) {
      refuse(res, 400, "DIGEST_INVALID");
      return;
    }
    sessions.delete(id);
    blobs.set(digest, bytes);
    res.writeHead(201, { "docker-content-digest": digest, "content-length": "0" }).end();
  };
  const status: SyncReply = (req, res) => {
    const hit = found(req, res);
    if (hit === undefined) return;
    const [id, session] = hit;
    res.writeHead(204, { range: rangeOf(session), location: locate(req, id, session) }).end();
  };
  const cancel: SyncReply = (req, res) => {
    const id = req.url.pathname.slice(req.url.pathname.lastIndexOf("/") + 1);
    if (!sessions.delete(id)) refuse(res, 404, "BLOB_UPLOAD_UNKNOWN");
    else res.writeHead(204).end();
  };
  const keep = (req: FaultRequest, bytes: Buffer): void => {
    const session = sessions.get(req.url.pathname.slice(req.url.pathname.lastIndexOf("/") + 1));
    if (session !== undefined) session.bytes = Buffer.concat([session.bytes, bytes]);
  };
  const install = (server: FaultServer): void => {
    const session = new RegExp(`^/v2/${repo}/blobs/uploads/[^/]+$`);
    server.route("POST", new RegExp(`^/v2/${repo}/blobs/uploads/$`), start);
    server.route("PATCH", session, patch);
    server.route("PUT", session, put);
    server.route("GET", session, status);
    server.route("DELETE", session, cancel);
  };
  return { blobs, sessions, issued, start, patch, put, status, cancel, keep, install };
}

/** registry:2's form: "0-<last byte>", "0-0" when empty. */
function rangeOf(session: Session): string {
  return `0-${Math.max(0, session.bytes.length - 1)}`;
}

/** A registry error body, `{"errors":[{code,message}]}`. */
function refuse(res: ServerResponse, status: number, code: string): void {
  const body = JSON.stringify({ errors: [{ code, message: `fault upload: ${code}` }] });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
