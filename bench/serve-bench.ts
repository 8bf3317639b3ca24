import { execFile } from "node:child_process";
import { createHash, randomFillSync } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { OCI_LAYOUT_BYTES, indexJsonBytes } from "../src/bundle/layout.js";
import { writeLayoutTar } from "../src/bundle/bundle-tar.js";
import { MediaType } from "../src/oci/media-types.js";
import { serveRegistry } from "../src/serve/server.js";
import { BlobDir } from "../src/store/blob-dir.js";
import type { BenchRow } from "./table.js";

const run = promisify(execFile);
const BLOB_BYTES = 500 * 1000 * 1000;
const TARGET_MB_S = 500;
const RUNS = 3;

/** Writes `size` bytes of incompressible data into the blob dir; returns its digest. */
async function writeBigBlob(blobs: BlobDir, size: number): Promise<string> {
  const chunk = randomFillSync(Buffer.alloc(1024 * 1024));
  const hash = createHash("sha256");
  const tmp = join(blobs.root, "big.tmp");
  const out = createWriteStream(tmp);
  for (let done = 0, i = 0; done < size; i++) {
    chunk.writeUInt32BE(i, 0);
    const piece = chunk.subarray(0, Math.min(chunk.length, size - done));
    hash.update(piece);
    if (!out.write(piece)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
    done += piece.length;
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
  const digest = `sha256:${hash.digest("hex")}`;
  await rename(tmp, blobs.path(digest));
  return digest;
}

/** A bundle tar holding one image whose one layer is a 500 MB blob. */
async function writeBenchBundle(dir: string): Promise<{ file: string; layer: string }> {
  const blobs = new BlobDir(join(dir, "cache"));
  await mkdir(join(blobs.root, "blobs", "sha256"), { recursive: true });
  const layer = await writeBigBlob(blobs, BLOB_BYTES);
  const small = async (bytes: Buffer): Promise<{ digest: string; size: number }> => {
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    await writeFile(blobs.path(digest), bytes);
    return { digest, size: bytes.length };
  };
  const config = await small(Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux" })));
  const manifest = await small(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, ...config },
        layers: [{ mediaType: MediaType.OciLayerTar, digest: layer, size: BLOB_BYTES }],
      }),
    ),
  );
  const image = { reference: "bench.example/big:v1", mediaType: MediaType.OciManifest, ...manifest };
  const files = [
    { name: "oci-layout", bytes: OCI_LAYOUT_BYTES },
    { name: "index.json", bytes: indexJsonBytes([image]) },
  ];
  const file = join(dir, "bench.tar");
  await writeLayoutTar(file, files, [manifest, config, { digest: layer, size: BLOB_BYTES }], blobs);
  await rm(blobs.root, { recursive: true, force: true });
  return { file, layer };
}

/** Seconds curl took to download the URL (curl: a light client, so the server gets the CPU). */
async function curlSeconds(url: string): Promise<number> {
  const { stdout } = await run("curl", [
    "-sS",
    "-o",
    "/dev/null",
    "-w",
    "%{time_total} %{size_download}",
    url,
  ]);
  const [seconds = "", bytes = ""] = stdout.trim().split(" ");
  if (Number(bytes) !== BLOB_BYTES) throw new Error(`curl got ${bytes} bytes of ${BLOB_BYTES}`);
  return Number(seconds);
}

/** A client in its own process (so it does not share the server's thread): downloads the URL, prints seconds. */
const CLIENT = `
const http = require("node:http");
const start = process.hrtime.bigint();
let bytes = 0;
http.get(process.argv[1], (res) => {
  res.on("data", (c) => (bytes += c.length));
  res.on("end", () => {
    if (res.statusCode !== 200 || bytes !== Number(process.argv[2])) process.exit(1);
    process.stdout.write(String(Number(process.hrtime.bigint() - start) / 1e9));
  });
});`;

/** Seconds a Node client in its own process took (used when curl is not installed). */
async function nodeSeconds(url: string): Promise<number> {
  const { stdout } = await run(process.execPath, ["-e", CLIENT, url, String(BLOB_BYTES)]);
  return Number(stdout);
}

async function hasCurl(): Promise<boolean> {
  return run("curl", ["--version"]).then(
    () => true,
    () => false,
  );
}

/** Issue 7's target: `airlock serve` delivers a 500 MB blob from a bundle at ≥ 500 MB/s on loopback. */
export async function serveBench(): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), "airlock-serve-bench-"));
  try {
    const { file, layer } = await writeBenchBundle(dir);
    const served = await serveRegistry([file], { listen: "127.0.0.1:0" });
    try {
      const url = `${served.url}/v2/big/blobs/${layer}`;
      const client = (await hasCurl()) ? "curl" : "node";
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < RUNS; i++) {
        best = Math.min(best, client === "curl" ? await curlSeconds(url) : await nodeSeconds(url));
      }
      const mbPerSecond = BLOB_BYTES / 1e6 / best;
      return [
        {
          name: `serve a 500 MB blob from a bundle (verified; one ${client} client, loopback)`,
          airlock: `${mbPerSecond.toFixed(0)} MB/s`,
          target: `≥ ${TARGET_MB_S} MB/s`,
          pass: mbPerSecond >= TARGET_MB_S,
        },
      ];
    } finally {
      await served.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
