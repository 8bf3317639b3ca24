import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { messageOf } from "../errors.js";
import { sendBlobBody } from "./blob-body.js";
import { parseRange, type RangeRequest } from "./range.js";
import type { Repository, ServedContent } from "./repositories.js";
import { errorReply, sendBody } from "./responses.js";

/**
 * `GET|HEAD /v2/<name>/blobs/<digest>`, with `Range`: streamed from the
 * bundle or layout in 1 MiB reads. A whole blob is verified on the way
 * (a mismatch cuts the response); a range cannot be, and is sent as stored.
 * A failure mid-response destroys that response only.
 */
export async function serveBlob(
  content: ServedContent,
  repo: Repository,
  digest: string,
  req: IncomingMessage,
  res: ServerResponse,
  warn: (message: string) => void,
): Promise<void> {
  const size = repo.blobs.get(digest);
  const at = size === undefined ? undefined : await content.pool.locate(digest, size);
  if (at === undefined) {
    sendBody(req, res, errorReply(404, "BLOB_UNKNOWN", `blob ${digest} is not in repository ${repo.name}`));
    return;
  }
  const headers: OutgoingHttpHeaders = {
    "content-type": "application/octet-stream",
    "docker-content-digest": digest,
    etag: `"${digest}"`,
    "accept-ranges": "bytes",
    "cache-control": "max-age=31536000",
  };
  const range = requestedRange(req, digest, at.size);
  if (range.kind === "invalid") {
    const reply = errorReply(416, "RANGE_INVALID", range.message, { "content-range": `bytes */${at.size}` });
    sendBody(req, res, reply);
    return;
  }
  writeHead(res, at.size, range, headers);
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  const body =
    range.kind === "partial"
      ? { start: range.start, end: range.end }
      : { start: 0, end: at.size - 1, verify: digest };
  try {
    await sendBlobBody(res, at, body);
  } catch (err) {
    res.destroy();
    if (!isClientGone(err)) warn(`${repo.name}: blob ${digest}: ${messageOf(err)}`);
  }
}

function writeHead(
  res: ServerResponse,
  size: number,
  range: Exclude<RangeRequest, { kind: "invalid" }>,
  headers: OutgoingHttpHeaders,
): void {
  if (range.kind === "full") {
    res.writeHead(200, { ...headers, "content-length": size });
    return;
  }
  const { start, end } = range;
  res.writeHead(206, {
    ...headers,
    "content-range": `bytes ${start}-${end}/${size}`,
    "content-length": end - start + 1,
  });
}

/** The Range header, unless an If-Range names another version. */
function requestedRange(req: IncomingMessage, digest: string, size: number): RangeRequest {
  const ifRange = req.headers["if-range"];
  if (ifRange !== undefined && ifRange !== `"${digest}"`) return { kind: "full" };
  return parseRange(req.headers.range, size);
}

function isClientGone(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === "ERR_STREAM_PREMATURE_CLOSE" || code === "ECONNRESET" || code === "EPIPE";
}
