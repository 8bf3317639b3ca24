import type { IncomingMessage, ServerResponse } from "node:http";
import { messageOf } from "../errors.js";
import { serveBlob } from "./blob-handler.js";
import { catalogReply, manifestReply, referrersReply, tagsReply } from "./replies.js";
import type { ServedContent } from "./repositories.js";
import { errorReply, jsonReply, sendBody, type Reply } from "./responses.js";
import { parseRoute, type Route } from "./routes.js";

/** Callbacks of a running server. */
export interface HandlerHooks {
  /** One line per finished request: method, path, status, bytes, milliseconds. */
  onRequest?: (line: string) => void;
  /** Something went wrong serving a request (never a client's mistake). */
  warn: (message: string) => void;
}

/**
 * The request listener of the read-only registry. Never throws: every
 * request gets an OCI answer, and an unexpected failure is a 500 and a
 * warning, not a crash.
 */
export function createHandler(
  content: ServedContent,
  hooks: HandlerHooks,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = performance.now();
    if (hooks.onRequest !== undefined) logWhenDone(req, res, started, hooks.onRequest);
    handle(content, req, res, hooks).catch((err: unknown) => {
      hooks.warn(`${req.method ?? "?"} ${printable(req.url ?? "")}: ${messageOf(err)}`);
      if (!res.headersSent) sendBody(req, res, errorReply(500, "UNKNOWN", "internal error"));
      else res.destroy();
    });
  };
}

async function handle(
  content: ServedContent,
  req: IncomingMessage,
  res: ServerResponse,
  hooks: HandlerHooks,
): Promise<void> {
  res.setHeader("docker-distribution-api-version", "registry/2.0");
  if (req.method !== "GET" && req.method !== "HEAD") {
    const message = `${req.method ?? "this method"} is not supported: this registry is read-only`;
    sendBody(req, res, errorReply(405, "UNSUPPORTED", message, { allow: "GET, HEAD" }));
    return;
  }
  const target = req.url ?? "/";
  const queryAt = target.indexOf("?");
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? "" : target.slice(queryAt + 1));
  const route = parseRoute(path);
  if (route.kind === "blob") {
    const repo = content.repositories.get(route.name);
    if (repo === undefined) sendBody(req, res, unknownRepository(route.name));
    else await serveBlob(content, repo, route.digest, req, res, hooks.warn);
    return;
  }
  sendBody(req, res, replyFor(content, route, req, query));
}

function replyFor(
  content: ServedContent,
  route: Exclude<Route, { kind: "blob" }>,
  req: IncomingMessage,
  query: URLSearchParams,
): Reply {
  switch (route.kind) {
    case "error":
      return errorReply(route.status, route.code, route.message);
    case "ping":
      return jsonReply({});
    case "catalog":
      return catalogReply(content, query);
    case "upload":
      return errorReply(404, "BLOB_UPLOAD_UNKNOWN", "no uploads: this registry is read-only");
  }
  const repo = content.repositories.get(route.name);
  if (repo === undefined) return unknownRepository(route.name);
  switch (route.kind) {
    case "manifest":
      return manifestReply(repo, route.reference, route.byDigest, req.headers);
    case "tags":
      return tagsReply(repo, query);
    case "referrers":
      return referrersReply(repo, route.digest, query);
  }
}

function unknownRepository(name: string): Reply {
  return errorReply(404, "NAME_UNKNOWN", `repository ${name} is not served here`);
}

function logWhenDone(
  req: IncomingMessage,
  res: ServerResponse,
  started: number,
  onRequest: (line: string) => void,
): void {
  res.once("close", () => {
    const ms = Math.round(performance.now() - started);
    const length = res.getHeader("content-length");
    const cut = res.writableFinished ? "" : " (cut)";
    const size = length === undefined ? "-" : String(length);
    onRequest(`${req.method ?? "?"} ${printable(req.url ?? "")} ${res.statusCode} ${size} ${ms}ms${cut}`);
  });
}

/** A request target fit for a log line: control characters replaced, length capped. */
function printable(text: string): string {
  const clean = Array.from(text, (c) => (c < " " || c === "\x7f" ? "?" : c)).join("");
  return clean.length > 300 ? `${clean.slice(0, 300)}…` : clean;
}
