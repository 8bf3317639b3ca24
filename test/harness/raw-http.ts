/**
 * A tiny HTTP(S) client for tests that must send exactly the request target
 * they mean ("/v2/../x", "%2e%2e"): fetch() would normalise it away.
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { runTool } from "./tools.js";

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** PEM of a CA to trust (https). */
  ca?: Buffer;
}

/** Sends `method path` to `baseUrl` verbatim and reads the whole answer. */
export function rawRequest(baseUrl: string, path: string, options: RawRequest = {}): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: options.method ?? "GET",
        headers: options.headers,
        ca: options.ca,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** What one client of {@link pullConcurrently} got for one path. */
export interface PulledBlob {
  path: string;
  status: number;
  digest: string;
  size: number;
}

const PULLER = `
const http = require("node:http");
const { createHash } = require("node:crypto");
const [base, clients, paths] = [process.argv[1], Number(process.argv[2]), JSON.parse(process.argv[3])];
const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
const get = (path) => new Promise((resolve, reject) => {
  http.get(base + path, { agent }, (res) => {
    const hash = createHash("sha256");
    let size = 0;
    res.on("data", (c) => { hash.update(c); size += c.length; });
    res.on("end", () => resolve({ path, status: res.statusCode, digest: "sha256:" + hash.digest("hex"), size }));
    res.on("error", reject);
  }).on("error", reject);
});
const client = async () => { const out = []; for (const p of paths) out.push(await get(p)); return out; };
Promise.all(Array.from({ length: clients }, client)).then((all) => {
  process.stdout.write(JSON.stringify(all.flat()));
  agent.destroy();
});`;

/**
 * `clients` clients in one child process (so their memory is not the
 * server's), each GETting every path in turn and hashing as it streams.
 */
export async function pullConcurrently(
  baseUrl: string,
  paths: string[],
  clients: number,
): Promise<PulledBlob[]> {
  const { stdout } = await runTool(
    process.execPath,
    ["-e", PULLER, baseUrl, String(clients), JSON.stringify(paths)],
    {
      timeoutMs: 120_000,
    },
  );
  return JSON.parse(stdout.toString("utf8")) as PulledBlob[];
}
