// The floor under push-bundle on this machine: every blob of a bundle uploaded with nothing else
// (no hashing, manifests, mounts or tags), over node:http, 8 at a time, largest first, each as a
// POST and one streamed PUT. push-bench.ts runs it as a reference row; it prints the seconds from
// the first request to the last answer, so its own startup is not counted.
import { createReadStream } from "node:fs";
import { Agent, request, type IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { indexBundleTar } from "../src/store/bundle-index.js";

const [bundleArg, hostArg] = process.argv.slice(2);
if (bundleArg === undefined || hostArg === undefined) throw new Error("usage: floor-upload BUNDLE HOST:PORT");
const bundle: string = bundleArg;
const host: string = hostArg;
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

function send(method: string, path: string, body?: Readable, size = 0): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers = { "content-length": String(size), "content-type": "application/octet-stream" };
    const req = request(`http://${host}${path}`, { method, agent, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res));
    });
    req.on("error", reject);
    if (body === undefined) req.end();
    else body.pipe(req);
  });
}

const index = await indexBundleTar(bundle);
const blobs = [...index.blobs].sort((a, b) => b[1].size - a[1].size);
const began = performance.now();
let next = 0;
async function worker(): Promise<void> {
  for (let blob = blobs[next++]; blob !== undefined; blob = blobs[next++]) {
    const [digest, { offset, size }] = blob;
    const started = await send("POST", "/v2/floor/blobs/uploads/");
    const url = new URL(started.headers.location ?? "", `http://${host}`);
    url.searchParams.set("digest", digest);
    const body = size === 0 ? undefined : createReadStream(bundle, { start: offset, end: offset + size - 1 });
    const res = await send("PUT", url.pathname + url.search, body, size);
    if (res.statusCode !== 201) throw new Error(`PUT ${digest}: HTTP ${res.statusCode}`);
  }
}
await Promise.all(Array.from({ length: 8 }, worker));
console.log(((performance.now() - began) / 1000).toFixed(3));
agent.destroy();
