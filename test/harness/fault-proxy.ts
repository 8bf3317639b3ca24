/**
 * A fault-injecting HTTP proxy in front of a real (plain HTTP) registry, for
 * what a healthy registry never does mid-push. Requests are forwarded,
 * streaming both ways, with `Location` headers that point at the registry
 * rewritten to point at the proxy. Rules, tried in the order added, answer
 * some requests instead: an error status (500/503 bursts, 429 with
 * Retry-After), a cut connection after N bytes of the request body, a lost
 * answer (the registry acts, the client never hears), a delay before
 * forwarding, or a JSON answer standing in for an endpoint the registry
 * lacks (the OCI referrers API). Every request is logged with its status and times,
 * and the client connection it came on, so tests can prove in what order things reached the
 * registry and how many connections the client opened.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

/** What a rule does to a request it answers. */
export type FaultAction =
  /** Answer this status (the body read and dropped), with `Retry-After: retryAfter` when given. */
  | { kind: "status"; status: number; retryAfter?: number }
  /** Forward the request, but destroy the client's socket once `afterBytes` of its body went upstream. */
  | { kind: "cut"; afterBytes: number }
  /** Hold the request for `ms` before forwarding it normally. */
  | { kind: "delay"; ms: number }
  /** Forward the request and let the registry act on it, but cut the connection instead of answering. */
  | { kind: "lose" }
  /** Answer `status` with `body` as JSON: an endpoint the test registry lacks (the referrers API). */
  | { kind: "json"; status: number; body: unknown; contentType?: string };

/** Which requests a rule answers: those matching method and path, after `skip` of them, `times` in all. */
export interface FaultRule {
  /** "PATCH", "PUT", …; any method when absent. */
  method?: string;
  /** Tested against the path and query, e.g. /\/blobs\/uploads\//. */
  path: RegExp;
  /** Matching requests let through before the rule acts; default 0. */
  skip?: number;
  /** Matching requests the rule acts on; default 1 (Infinity for all). */
  times?: number;
  /** Acts on every `every`-th matching request after `skip` (the 7th, 14th, … for 7); default 1. */
  every?: number;
  action: FaultAction;
}

/** A rule as added, with how many requests it acted on so far. */
export interface ActiveRule extends Readonly<FaultRule> {
  readonly fired: number;
}

/** One request as the proxy saw it. */
export interface ProxyLogEntry {
  /** Arrival order, from 0. */
  seq: number;
  /** The client connection it came on: 0 for the first one accepted, 1 for the next, … */
  connection: number;
  method: string;
  /** Path and query as sent. */
  path: string;
  /** The status the client got; undefined while in flight; 0 when the connection was cut. */
  status?: number;
  /** Set when a rule changed the answer. */
  injected?: FaultAction["kind"];
  /** The registry's status when the proxy did not pass it on (a "lose" rule). */
  upstreamStatus?: number;
  /** performance.now() at arrival. */
  at: number;
  /** performance.now() when the status went out (or the connection was cut). */
  doneAt?: number;
  /** Request body bytes received from the client. */
  bytesIn: number;
}

/** A running fault proxy. */
export interface FaultProxy {
  /** "127.0.0.1:PORT", as a registry name. */
  readonly host: string;
  /** "http://127.0.0.1:PORT". */
  readonly origin: string;
  /** Every request so far, in arrival order. */
  readonly log: readonly ProxyLogEntry[];
  /** Adds a rule; the first rule (in the order added) that acts on a request answers it. */
  addRule(rule: FaultRule): ActiveRule;
  /** Removes every rule (the log stays). */
  clearRules(): void;
  /**
   * Resolves with the first entry, already logged or to come, for which `test`
   * is true; tested when an entry arrives, as its body comes in, and when it
   * gets its status.
   */
  waitFor(test: (entry: ProxyLogEntry) => boolean): Promise<ProxyLogEntry>;
  /** Cuts open connections and stops listening. */
  close(): Promise<void>;
}

interface RuleState extends FaultRule {
  seen: number;
  fired: number;
}

interface ProxyState {
  upstream: URL;
  origin: string;
  rules: RuleState[];
  log: ProxyLogEntry[];
  watchers: Set<(entry: ProxyLogEntry) => void>;
  /** Client connections by the order they were accepted. */
  connections: WeakMap<Socket, number>;
}

/** Starts a proxy on 127.0.0.1 and a free port in front of `upstream` ("http://127.0.0.1:PORT"). */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const state: ProxyState = {
    upstream: new URL(upstream),
    origin: "",
    rules: [],
    log: [],
    watchers: new Set(),
    connections: new WeakMap(),
  };
  let accepted = 0;
  const server = createServer((req, res) => {
    handle(state, req, res).catch(() => req.socket.destroy());
  });
  server.on("connection", (socket: Socket) => state.connections.set(socket, accepted++));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  state.origin = `http://127.0.0.1:${port}`;
  return {
    host: `127.0.0.1:${port}`,
    origin: state.origin,
    log: state.log,
    addRule(rule) {
      const added: RuleState = { ...rule, seen: 0, fired: 0 };
      state.rules.push(added);
      return added;
    },
    clearRules: () => void state.rules.splice(0),
    waitFor: (test) => waitFor(state, test),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function waitFor(state: ProxyState, test: (entry: ProxyLogEntry) => boolean): Promise<ProxyLogEntry> {
  const found = state.log.find(test);
  if (found !== undefined) return Promise.resolve(found);
  return new Promise((resolve) => {
    const watcher = (entry: ProxyLogEntry): void => {
      if (!test(entry)) return;
      state.watchers.delete(watcher);
      resolve(entry);
    };
    state.watchers.add(watcher);
  });
}

function notify(state: ProxyState, entry: ProxyLogEntry): void {
  for (const watcher of [...state.watchers]) watcher(entry);
}

/** The first rule that acts on this request; every matching rule counts it. */
function pickRule(state: ProxyState, method: string, path: string): RuleState | undefined {
  let chosen: RuleState | undefined;
  for (const rule of state.rules) {
    if ((rule.method !== undefined && rule.method !== method) || !rule.path.test(path)) continue;
    const n = rule.seen++ - (rule.skip ?? 0);
    const every = rule.every ?? 1;
    const due = n >= 0 && (n + 1) % every === 0 && n < (rule.times ?? 1) * every;
    if (chosen === undefined && due) {
      chosen = rule;
      rule.fired++;
    }
  }
  return chosen;
}

async function handle(state: ProxyState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? "GET";
  const path = req.url ?? "/";
  const connection = state.connections.get(req.socket) ?? -1;
  const entry: ProxyLogEntry = {
    seq: state.log.length,
    connection,
    method,
    path,
    at: performance.now(),
    bytesIn: 0,
  };
  state.log.push(entry);
  notify(state, entry);
  const rule = pickRule(state, method, path);
  const action = rule?.action;
  if (action !== undefined) entry.injected = action.kind;
  const finish = (status: number): void => {
    entry.status = status;
    entry.doneAt = performance.now();
    notify(state, entry);
  };
  if (action?.kind === "status") {
    for await (const chunk of req as AsyncIterable<Buffer>) entry.bytesIn += chunk.length;
    answerStatus(res, action.status, action.retryAfter);
    finish(action.status);
    return;
  }
  if (action?.kind === "json") {
    for await (const chunk of req as AsyncIterable<Buffer>) entry.bytesIn += chunk.length;
    res.writeHead(action.status, { "content-type": action.contentType ?? "application/json" });
    res.end(JSON.stringify(action.body));
    finish(action.status);
    return;
  }
  if (action?.kind === "delay") await sleep(action.ms);
  const fault = action?.kind === "cut" || action?.kind === "lose" ? action : undefined;
  forward(state, { req, res, entry, fault }, finish);
}

function answerStatus(res: ServerResponse, status: number, retryAfter: number | undefined): void {
  const headers: OutgoingHttpHeaders = { "content-type": "application/json" };
  if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
  const code = status === 429 ? "TOOMANYREQUESTS" : "UNKNOWN";
  res.writeHead(status, headers);
  res.end(JSON.stringify({ errors: [{ code, message: `fault proxy: injected ${status}` }] }));
}

/** One request on its way through the proxy, and the fault (if any) it is to suffer. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  entry: ProxyLogEntry;
  fault?: { kind: "cut"; afterBytes: number } | { kind: "lose" };
}

/** Streams the request to the registry and its answer back, unless the fault cuts one of them. */
function forward(state: ProxyState, ex: Exchange, finish: (status: number) => void): void {
  const { req, res, entry, fault } = ex;
  const headers = { ...req.headers, host: state.upstream.host };
  const up = httpRequest(state.upstream, { method: entry.method, path: entry.path, headers });
  const cut = (): void => {
    up.destroy();
    req.socket.destroy();
    if (entry.status === undefined) finish(0);
  };
  up.once("error", cut);
  res.once("close", () => {
    if (!res.writableFinished) up.destroy();
  });
  up.once("response", (upRes) => {
    if (fault?.kind === "lose") {
      entry.upstreamStatus = upRes.statusCode;
      upRes.resume();
      upRes.once("end", cut);
      return;
    }
    res.writeHead(upRes.statusCode ?? 502, rewriteLocation(state, upRes));
    finish(upRes.statusCode ?? 502);
    upRes.pipe(res);
    upRes.once("error", cut);
  });
  const cutAfter = fault?.kind === "cut" ? fault.afterBytes : undefined;
  pumpBody(req, up, entry, cutAfter, cut, () => notify(state, entry));
}

/**
 * Copies the request body upstream, counting it (and telling `progress`);
 * destroys both sides once `cutAfter` bytes went.
 */
function pumpBody(
  req: IncomingMessage,
  up: ReturnType<typeof httpRequest>,
  entry: ProxyLogEntry,
  cutAfter: number | undefined,
  cut: () => void,
  progress: () => void,
): void {
  req.on("data", (chunk: Buffer) => {
    setImmediate(progress);
    if (cutAfter !== undefined && entry.bytesIn + chunk.length >= cutAfter) {
      const part = chunk.subarray(0, cutAfter - entry.bytesIn);
      entry.bytesIn += part.length;
      req.pause();
      up.write(part, () => setImmediate(cut));
      return;
    }
    entry.bytesIn += chunk.length;
    if (!up.write(chunk)) {
      req.pause();
      up.once("drain", () => req.resume());
    }
  });
  req.once("end", () => {
    if (!up.destroyed) up.end();
  });
  req.once("error", cut);
}

/** The registry's headers, with a Location on the registry's origin moved to the proxy's. */
function rewriteLocation(state: ProxyState, upRes: IncomingMessage): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { ...upRes.headers };
  const location = upRes.headers.location;
  if (location !== undefined && location.startsWith(state.upstream.origin)) {
    headers.location = state.origin + location.slice(state.upstream.origin.length);
  }
  return headers;
}
