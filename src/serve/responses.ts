import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";

/** The distribution-spec error codes the server answers with (RANGE_INVALID is airlock's own). */
export type OciErrorCode =
  | "NAME_INVALID"
  | "NAME_UNKNOWN"
  | "MANIFEST_UNKNOWN"
  | "BLOB_UNKNOWN"
  | "BLOB_UPLOAD_UNKNOWN"
  | "DIGEST_INVALID"
  | "UNSUPPORTED"
  | "PAGINATION_NUMBER_INVALID"
  | "RANGE_INVALID"
  | "UNKNOWN";

/** A response the handlers compute; written by {@link sendBody}. */
export interface Reply {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

/** An OCI error reply: `{"errors":[{"code","message"}]}`. */
export function errorReply(
  status: number,
  code: OciErrorCode,
  message: string,
  headers: OutgoingHttpHeaders = {},
): Reply {
  const body = Buffer.from(JSON.stringify({ errors: [{ code, message }] }));
  return { status, headers: { ...headers, "content-type": "application/json" }, body };
}

/** A 200 JSON reply. */
export function jsonReply(value: unknown, headers: OutgoingHttpHeaders = {}): Reply {
  const body = Buffer.from(JSON.stringify(value));
  return { status: 200, headers: { "content-type": "application/json", ...headers }, body };
}

/** Writes a reply; a HEAD request gets the headers (Content-Length included) and no body. */
export function sendBody(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { ...reply.headers, "content-length": reply.body.length });
  res.end(req.method === "HEAD" ? undefined : reply.body);
}
