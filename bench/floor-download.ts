// The floor under create-bundle on this machine: every distinct blob and manifest of a workload
// fetched with nothing else (no hashing, no lock, no cache, no checks beyond the status), over
// node:http, 8 at a time, largest first, each streamed into its own file, then GNU tar of those
// files into one tar. It prints the seconds from the first request to tar's exit, so its own
// startup is not counted. bundle-bench.ts runs it beside create-bundle and skopeo.
//
// usage: floor-download CONTENTS.json HOST:PORT DIR TAR
//   CONTENTS.json: [{ repository, digest, size, manifest? }] (workload-push.ts's StoredContent)
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { Agent, get, type IncomingMessage } from "node:http";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { StoredContent } from "./workload-push.js";

const [listArg, host, dir, tarFile] = process.argv.slice(2);
if (listArg === undefined || host === undefined || dir === undefined || tarFile === undefined) {
  throw new Error("usage: floor-download CONTENTS.json HOST:PORT DIR TAR");
}
const contents = (JSON.parse(await readFile(listArg, "utf8")) as StoredContent[]).sort(
  (a, b) => b.size - a.size,
);
const blobs = join(dir, "blobs", "sha256");
await mkdir(blobs, { recursive: true });
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** GETs one blob or manifest into blobs/sha256/<hex>. */
async function fetchInto(item: StoredContent): Promise<void> {
  const kind = item.manifest === undefined ? "blobs" : "manifests";
  const headers = item.manifest === undefined ? {} : { accept: item.manifest };
  const url = `http://${host}/v2/${item.repository}/${kind}/${item.digest}`;
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    get(url, { agent, headers }, resolve).on("error", reject);
  });
  if (res.statusCode !== 200) throw new Error(`GET ${item.digest}: HTTP ${res.statusCode}`);
  await pipeline(res, createWriteStream(join(blobs, item.digest.slice("sha256:".length))));
}

function tar(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("tar", ["-cf", tarFile ?? "", "-C", dir ?? "", "blobs"], { stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`tar exited ${code}`))));
  });
}

const began = performance.now();
let next = 0;
async function worker(): Promise<void> {
  for (let item = contents[next++]; item !== undefined; item = contents[next++]) await fetchInto(item);
}
await Promise.all(Array.from({ length: 8 }, worker));
await tar();
console.log(((performance.now() - began) / 1000).toFixed(3));
agent.destroy();
