/**
 * A small loopback HTTP proxy, as a corporate one behaves: CONNECT tunnels
 * (for https) and absolute-URI forwarding (for plain http), optionally
 * demanding Proxy-Authorization. It resolves names from its own table only,
 * so a registry named `registry.airlock.test:PORT` is reachable through it
 * and nowhere else; any other name gets 502, and nothing leaves loopback.
 * Every request is recorded, so tests can prove traffic went through it.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from "node:net";

export interface ProxyRequestRecord {
  /** "CONNECT" or the forwarded method. */
  method: string;
  /** host:port asked for. */
  target: string;
  /** The status the proxy answered itself (407, 502), or 200 when it passed the request on. */
  status: number;
}

export interface TestProxy {
  /** "http://127.0.0.1:PORT" (no credentials). */
  readonly url: string;
  /** "http://USER:PASS@127.0.0.1:PORT" when credentials are required, else `url`. */
  readonly urlWithCredentials: string;
  readonly requests: readonly ProxyRequestRecord[];
  close(): Promise<void>;
}

export interface TestProxyOptions {
  /** Name → loopback address, e.g. { "registry.airlock.test": "127.0.0.1" }; loopback targets pass as they are. */
  hosts?: Record<string, string>;
  /** Require `Proxy-Authorization: Basic` with these. */
  credentials?: { username: string; password: string };
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

export async function startTestProxy(options: TestProxyOptions = {}): Promise<TestProxy> {
  const requests: ProxyRequestRecord[] = [];
  const expected =
    options.credentials === undefined
      ? undefined
      : "Basic " +
        Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString("base64");
  const resolve = (target: string): { host: string; port: number } | undefined => {
    const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target);
    if (match === null) return undefined;
    const name = (match[1] ?? "").toLowerCase();
    const host = options.hosts?.[name] ?? (LOOPBACK.has(name) ? name : undefined);
    return host === undefined ? undefined : { host, port: Number(match[2]) };
  };
  const authorized = (req: IncomingMessage): boolean =>
    expected === undefined || req.headers["proxy-authorization"] === expected;

  const server = createServer((req, res) => forward(req, res));
  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? "";
    const record = (status: number): number => requests.push({ method: "CONNECT", target, status });
    client.on("error", () => undefined);
    if (!authorized(req)) {
      record(407);
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n',
      );
      return;
    }
    const to = resolve(target);
    if (to === undefined) {
      record(502);
      client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
      return;
    }
    record(200);
    const upstream = connect(to.port, to.host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
  });

  function forward(req: IncomingMessage, res: ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? "");
    } catch {
      res.writeHead(400).end();
      return;
    }
    const record = (status: number): number =>
      requests.push({ method: req.method ?? "", target: url.host, status });
    if (!authorized(req)) {
      record(407);
      res.writeHead(407, { "proxy-authenticate": 'Basic realm="test"' }).end();
      return;
    }
    const to = resolve(`${url.hostname}:${url.port || "80"}`);
    if (to === undefined) {
      record(502);
      res.writeHead(502).end();
      return;
    }
    record(200);
    const headers = { ...req.headers };
    delete headers["proxy-authorization"];
    delete headers["proxy-connection"];
    const upstream = httpRequest(
      { host: to.host, port: to.port, method: req.method, path: url.pathname + url.search, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  }

  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const creds = options.credentials;
  return {
    url,
    urlWithCredentials:
      creds === undefined
        ? url
        : `http://${encodeURIComponent(creds.username)}:${encodeURIComponent(creds.password)}@127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/** A server that accepts TCP connections and never says a word: the registry that hangs. */
export async function startSilentServer(): Promise<{ host: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
