/**
 * A scripted HTTP server for what a healthy registry never does: tests add
 * routes (method + path regex) whose replies run in sequence (the first call
 * gets the first reply, the last reply repeats), and every request is
 * recorded with its headers, body size, arrival time and the status answered.
 * Plain HTTP on 127.0.0.1 and a free port; start two for a second origin.
 * Reply builders live in fault-routes.ts and fault-auth.ts.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";

/** One request as the server saw it. */
export interface RecordedRequest {
  method: string;
  /** Path and query exactly as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  authorization: string | undefined;
  bodySize: number;
  /** performance.now() when the request arrived (immune to mocked Date). */
  at: number;
  /** Date.now() when the request arrived. */
  wallClock: number;
  /** The status answered, once headers were sent. */
  status?: number;
  /** False when the server cut the connection before finishing the response. */
  completed?: boolean;
  /** The client's port: requests with the same one came on the same (kept-alive) connection. */
  remotePort: number | undefined;
}

/** What a reply sees of the request. */
export interface FaultRequest {
  method: string;
  /** Absolute URL on this server. */
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** 0 for the route's first call, 1 for the second, … */
  call: number;
}

/** Writes one response (or cuts the connection). */
export type Reply = (req: FaultRequest, res: ServerResponse) => void | Promise<void>;

/** A scripted route; `calls` counts the requests it answered. */
export interface FaultRoute {
  readonly method: string;
  readonly path: RegExp;
  readonly replies: readonly Reply[];
  calls: number;
}

/** A running fault server. */
export interface FaultServer {
  readonly port: number;
  /** "127.0.0.1:PORT", as a registry name. */
  readonly host: string;
  /** "http://127.0.0.1:PORT". */
  readonly origin: string;
  /** Every request so far, in arrival order. */
  readonly requests: RecordedRequest[];
  /**
   * Adds a route for `method` ("*" for any) and a regex on the path (without
   * the query). The first matching route, in the order added, answers.
   */
  route(method: string, path: RegExp, ...replies: Reply[]): FaultRoute;
  /** Recorded requests whose path and query match `url`, optionally of one method. */
  requestsTo(url: RegExp, method?: string): RecordedRequest[];
  /** Forgets routes and recorded requests. */
  reset(): void;
  /** Cuts open connections and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a fault server on 127.0.0.1 and a free port, or `port` (to stand in
 * again for one that was closed: a registry back after a restart). Unrouted
 * requests get 404.
 */
export async function startFaultServer(port = 0): Promise<FaultServer> {
  const routes: FaultRoute[] = [];
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    handle(req, res, routes, requests).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    host: `127.0.0.1:${bound}`,
    origin: `http://127.0.0.1:${bound}`,
    requests,
    route(method, path, ...replies) {
      if (replies.length === 0) throw new Error("a route needs at least one reply");
      const route: FaultRoute = { method: method.toUpperCase(), path, replies, calls: 0 };
      routes.push(route);
      return route;
    },
    requestsTo: (url, method) =>
      requests.filter((r) => url.test(r.url) && (method === undefined || r.method === method.toUpperCase())),
    reset() {
      routes.length = 0;
      requests.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  routes: FaultRoute[],
  requests: RecordedRequest[],
): Promise<void> {
  const record = recordArrival(req);
  requests.push(record);
  const body = await readBody(req);
  record.bodySize = body.length;
  res.once("close", () => {
    if (res.headersSent) record.status = res.statusCode;
    record.completed = res.writableFinished;
  });
  const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
  const method = req.method ?? "GET";
  const route = routes.find((r) => (r.method === "*" || r.method === method) && r.path.test(url.pathname));
  if (route === undefined) {
    res.writeHead(404, { "content-type": "application/json" });
    res.end(
      JSON.stringify({ errors: [{ code: "NOT_FOUND", message: `fault server: no route for ${method}` }] }),
    );
    return;
  }
  const call = route.calls++;
  const reply = route.replies[Math.min(call, route.replies.length - 1)];
  await reply?.({ method, url, headers: req.headers, body, call }, res);
  if (res.headersSent) record.status = res.statusCode;
}

function recordArrival(req: IncomingMessage): RecordedRequest {
  const authorization = req.headers.authorization;
  return {
    method: req.method ?? "GET",
    url: req.url ?? "/",
    headers: req.headers,
    authorization,
    bodySize: 0,
    at: performance.now(),
    wallClock: Date.now(),
    remotePort: req.socket.remotePort,
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
