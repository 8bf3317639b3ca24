import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, connect, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { after, before, describe, it } from "node:test";
import { indexBundleTar } from "../../src/store/bundle-index.js";
import { writeLayoutTar } from "../../src/bundle/bundle-tar.js";
import { sha256Digest } from "../../src/oci/digest.js";
import { VerifiedFileRange } from "../../src/stream/verified-file-range.js";
import { BlobDir } from "../../src/store/blob-dir.js";

const CHUNK = 64 * 1024;

/** What a consumer got before the stream ended or failed. */
async function collect(stream: Readable): Promise<{ bytes: Buffer; error?: unknown }> {
  const parts: Buffer[] = [];
  // Copies each chunk: the stream reuses its buffers.
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      parts.push(Buffer.from(chunk));
      cb();
    },
  });
  try {
    await pipeline(stream, sink);
    return { bytes: Buffer.concat(parts) };
  } catch (error) {
    return { bytes: Buffer.concat(parts), error };
  }
}

/** A TCP server that reads slowly (so the sender's socket backs up) and answers with the sha256 it got. */
async function slowHashServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((socket: Socket) => {
    const hash = createHash("sha256");
    socket.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      socket.pause();
      setTimeout(() => socket.resume(), 1);
    });
    socket.on("end", () => socket.end(hash.digest("hex")));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe("VerifiedFileRange", () => {
  let dir: string;
  let file: string;
  const head = randomBytes(777);
  const blob = randomBytes(40 * CHUNK + 123);
  const digest = sha256Digest(blob);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "airlock-range-"));
    file = join(dir, "data");
    await writeFile(file, Buffer.concat([head, blob, randomBytes(99)]));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("delivers exactly the range, reporting the running total", async () => {
    const totals: number[] = [];
    const stream = new VerifiedFileRange(
      file,
      head.length,
      { digest, size: blob.length },
      { chunkSize: CHUNK, onBytes: (n) => totals.push(n) },
    );
    const { bytes, error } = await collect(stream);
    assert.equal(error, undefined);
    assert.ok(bytes.equals(blob));
    assert.equal(totals.at(-1), blob.length);
    assert.equal(totals.length, 41);
  });

  it("survives its buffer reuse through a socket that backs up: the receiver hashes the right bytes", async () => {
    const server = await slowHashServer();
    try {
      const socket = connect(server.port, "127.0.0.1");
      const answer = new Promise<string>((resolve) => {
        let text = "";
        socket.on("data", (d: Buffer) => (text += d.toString()));
        socket.on("end", () => resolve(text));
      });
      await pipeline(
        new VerifiedFileRange(file, head.length, { digest, size: blob.length }, { chunkSize: CHUNK }),
        socket,
        {
          end: true,
        },
      );
      assert.equal(`sha256:${await answer}`, digest);
    } finally {
      await server.close();
    }
  });

  it("withholds the last chunk of a range whose digest is wrong", async () => {
    const wrong = sha256Digest(Buffer.from("something else"));
    const stream = new VerifiedFileRange(
      file,
      head.length,
      { digest: wrong, size: blob.length },
      { chunkSize: CHUNK },
    );
    const { bytes, error } = await collect(stream);
    assert.equal((error as { code?: string }).code, "ERR_DIGEST_MISMATCH");
    assert.ok(bytes.length < blob.length);
  });

  it("fails when the file ends early, and reads nothing past a short range", async () => {
    const short = new VerifiedFileRange(
      file,
      head.length + 100,
      { digest, size: blob.length },
      { chunkSize: CHUNK },
    );
    assert.equal(((await collect(short)).error as { code?: string }).code, "ERR_SIZE_MISMATCH");
    const empty = new VerifiedFileRange(file, 5, { digest: sha256Digest(Buffer.alloc(0)), size: 0 });
    const got = await collect(empty);
    assert.equal(got.error, undefined);
    assert.equal(got.bytes.length, 0);
  });

  it("hands its buffers to the next stream only when released after its end", async () => {
    const big = randomBytes(3 * 512 * 1024 + 5);
    const bigFile = join(dir, "big");
    await writeFile(bigFile, big);
    const expected = { digest: sha256Digest(big), size: big.length };
    /** The ArrayBuffers behind the chunks a stream delivered, and the sha256 of what it delivered. */
    const drain = async (stream: VerifiedFileRange, stopAfter = Infinity) => {
      const buffers = new Set<ArrayBufferLike>();
      const hash = createHash("sha256");
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        buffers.add(chunk.buffer);
        hash.update(chunk);
        if (buffers.size >= stopAfter) break;
      }
      return { buffers, digest: `sha256:${hash.digest("hex")}` };
    };
    const reuse = { reuseBuffers: true };
    const unfinished = new VerifiedFileRange(bigFile, 0, expected, reuse);
    const cut = await drain(unfinished, 1);
    unfinished.release();
    const first = new VerifiedFileRange(bigFile, 0, expected, reuse);
    const a = await drain(first);
    assert.equal(a.digest, expected.digest);
    assert.ok(
      [...a.buffers].every((b) => !cut.buffers.has(b)),
      "an unfinished stream gave its buffers away",
    );
    first.release();
    const second = new VerifiedFileRange(bigFile, 0, expected, reuse);
    const b = await drain(second);
    assert.equal(b.digest, expected.digest);
    assert.ok(
      [...b.buffers].some((x) => a.buffers.has(x)),
      "a released stream's buffers were not reused",
    );
  });

  it("without reuseBuffers, delivers every chunk in a buffer of its own (a consumer may keep them)", async () => {
    const big = randomBytes(5 * 512 * 1024 + 3);
    const bigFile = join(dir, "big-fresh");
    await writeFile(bigFile, big);
    const stream = new VerifiedFileRange(bigFile, 0, { digest: sha256Digest(big), size: big.length });
    const kept: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) kept.push(chunk);
    assert.equal(new Set(kept.map((c) => c.buffer)).size, kept.length);
    assert.ok(Buffer.concat(kept).equals(big), "kept chunks were overwritten");
  });

  it("names a missing file", async () => {
    const missing = new VerifiedFileRange(join(dir, "nope"), 0, { digest, size: 1 });
    assert.equal(((await collect(missing)).error as { code?: string }).code, "ERR_FILE");
  });
});

describe("indexBundleTar without verification", () => {
  it("locates every blob without reading blob bodies, and verification still finds a damaged one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "airlock-index-"));
    try {
      const blobs = [randomBytes(3 * 1024 * 1024), randomBytes(513), Buffer.alloc(0)];
      const cache = new BlobDir(join(dir, "cache"));
      const descs = blobs.map((b) => ({ digest: sha256Digest(b), size: b.length }));
      for (const [i, d] of descs.entries()) await cache.put(d, Readable.from([blobs[i] as Buffer]));
      descs.sort((a, b) => a.digest.localeCompare(b.digest));
      const files = [
        { name: "oci-layout", bytes: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
        { name: "index.json", bytes: Buffer.from('{"schemaVersion":2,"manifests":[]}') },
      ];
      const { file } = await writeLayoutTar(join(dir, "b.tar"), files, descs, cache);
      const index = await indexBundleTar(file);
      assert.equal(index.metadata.get("index.json")?.toString(), files[1]?.bytes.toString());
      const tar = await readFile(file);
      for (const d of descs) {
        const at = index.blobs.get(d.digest);
        assert.ok(at, d.digest);
        assert.equal(sha256Digest(tar.subarray(at.offset, at.offset + at.size)), d.digest);
      }
      // Damage the large blob: indexing alone does not read it, verification does.
      const big = index.blobs.get(sha256Digest(blobs[0] as Buffer));
      assert.ok(big);
      tar[big.offset + 1_000_000] = (tar[big.offset + 1_000_000] ?? 0) ^ 0xff;
      await writeFile(file, tar);
      assert.deepEqual((await indexBundleTar(file)).corrupt, []);
      const verified = await indexBundleTar(file, { verify: true });
      assert.equal(verified.corrupt.length, 1);
      assert.match(verified.corrupt[0] ?? "", new RegExp(sha256Digest(blobs[0] as Buffer)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
