/**
 * Blob uploads and mounts against the scripted fault server, in front of a
 * strict in-memory upload endpoint: retries of PATCH and PUT, cut
 * connections, resync with `GET <location>`, a lost session started over,
 * OCI-Chunk-Min-Length, relative and absolute Locations, mounts declined,
 * and sessions cancelled with DELETE whenever an upload fails.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { after, before, beforeEach, test, type TestContext } from "node:test";
import { sha256Digest } from "../../src/oci/digest.js";
import type { RegistryClient } from "../../src/registry/client.js";
import { connectRegistry } from "../../src/registry/connect.js";
import { hasCode, nth } from "../harness/fault-checks.js";
import { registryError, status } from "../harness/fault-routes.js";
import { startFaultServer, type FaultServer, type Reply } from "../harness/fault-server.js";
import { createUploadFake, type UploadFake, type UploadFakeOptions } from "../harness/fault-upload.js";

const KiB = 1024;
const UPLOADS = /^\/v2\/x\/blobs\/uploads\//;
const SESSION = /^\/v2\/x\/blobs\/uploads\/[^/]+$/;
const NO_AUTH_FILE = "/nonexistent/airlock-upload-fault-test/auth.json";

let server: FaultServer;

before(async () => {
  server = await startFaultServer();
});
after(async () => server.close());
beforeEach(() => server.reset());

async function connect(t: TestContext): Promise<RegistryClient> {
  const client = await connectRegistry(server.host, {
    plainHttp: true,
    authFile: NO_AUTH_FILE,
    retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 },
  });
  t.after(() => client.close());
  return client;
}

/** Routes `faults` first (they answer before the fake), then the fake's own routes. */
function fakeWith(options: UploadFakeOptions, ...faults: [string, RegExp, ...Reply[]][]): UploadFake {
  const fake = createUploadFake(options);
  for (const [method, path, ...replies] of faults) server.route(method, path, ...replies);
  fake.install(server);
  return fake;
}

interface Source {
  bytes: Buffer;
  descriptor: { digest: string; size: number };
  /** A fresh stream of 16 KiB pieces per call. */
  open: () => Readable;
  opened: () => number;
}

function sourceOf(bytes: Buffer, digestOf: Buffer = bytes): Source {
  let opened = 0;
  const open = (): Readable => {
    opened++;
    return Readable.from(
      (function* pieces() {
        for (let at = 0; at < bytes.length; at += 16 * KiB) yield bytes.subarray(at, at + 16 * KiB);
      })(),
    );
  };
  return {
    bytes,
    descriptor: { digest: sha256Digest(digestOf), size: bytes.length },
    open,
    opened: () => opened,
  };
}

/** Chunked with 64 KiB chunks whatever the size. */
const CHUNKED = { chunkSize: 64 * KiB, monolithicMax: 0 };

function requests(method: string, path: RegExp = UPLOADS): FaultServer["requests"] {
  return server.requestsTo(path, method);
}

function assertStored(fake: UploadFake, source: Source): void {
  const stored = fake.blobs.get(source.descriptor.digest);
  assert.ok(stored?.equals(source.bytes), "the registry holds the exact bytes");
}

test("a PATCH answered 500 is retried by the transport with the same chunk", async (t) => {
  const fake = fakeWith({}, ["PATCH", SESSION, status(500), (req, res) => fake.patch(req, res)]);
  const source = sourceOf(randomBytes(200 * KiB));
  const client = await connect(t);
  assert.equal(await client.blobUpload("x", source.descriptor, source.open, CHUNKED), "uploaded");
  assertStored(fake, source);
  const patches = requests("PATCH");
  assert.deepEqual(
    patches.map((r) => r.status),
    [500, 202, 202, 202, 202],
  );
  assert.deepEqual(
    patches.map((r) => r.headers["content-range"]),
    ["0-65535", "0-65535", "65536-131071", "131072-196607", "196608-204799"],
  );
  assert.ok(patches.every((r) => r.headers["content-type"] === "application/octet-stream"));
  assert.equal(source.opened(), 1);
  assert.equal(requests("DELETE").length, 0);
});

test("429 with Retry-After on a streamed PUT: retried after the wait, the source opened afresh", async (t) => {
  const fake = fakeWith({}, [
    "PUT",
    SESSION,
    status(429, { "retry-after": "1" }),
    (req, res) => fake.put(req, res),
  ]);
  const source = sourceOf(randomBytes(2 * 1024 * KiB));
  const client = await connect(t);
  assert.equal(await client.blobUpload("x", source.descriptor, source.open), "uploaded");
  assertStored(fake, source);
  const [first, second] = [nth(requests("PUT"), 0), nth(requests("PUT"), 1)];
  assert.deepEqual([first.status, second.status], [429, 201]);
  assert.ok(second.at - first.at >= 900, `retried after ${Math.round(second.at - first.at)} ms`);
  assert.equal(second.headers["content-length"], String(source.bytes.length));
  assert.equal(source.opened(), 2);
  assert.equal(requests("PATCH").length, 0);
});

test("a small blob's PUT answered 503 is retried from memory, not reopened", async (t) => {
  const fake = fakeWith({}, ["PUT", SESSION, status(503), (req, res) => fake.put(req, res)]);
  const source = sourceOf(Buffer.from("{}"));
  const client = await connect(t);
  assert.equal(await client.blobUpload("x", source.descriptor, source.open), "uploaded");
  assertStored(fake, source);
  assert.equal(source.opened(), 1);
});

test("a connection cut before the PATCH is answered: GET <location> says where the session stands, the chunk goes again from there", async (t) => {
  const cut: Reply = (_req, res) => void res.socket?.destroy();
  const fake = fakeWith({}, [
    "PATCH",
    SESSION,
    (req, res) => fake.patch(req, res),
    cut,
    (req, res) => fake.patch(req, res),
  ]);
  const source = sourceOf(randomBytes(150 * KiB));
  const client = await connect(t);
  await client.blobUpload("x", source.descriptor, source.open, CHUNKED);
  assertStored(fake, source);
  assert.deepEqual(
    server.requestsTo(SESSION).map((r) => [r.method, r.headers["content-range"], r.status]),
    [
      ["PATCH", "0-65535", 202],
      ["PATCH", "65536-131071", undefined],
      ["GET", undefined, 204],
      ["PATCH", "65536-131071", 202],
      ["PATCH", "131072-153599", 202],
      ["PUT", undefined, 201],
    ],
  );
  assert.equal(source.opened(), 1);
});

test("the registry kept part of a cut PATCH: GET <location> tells where, the rest of the chunk follows", async (t) => {
  const keepPartThenCut: Reply = (req, res) => {
    fake.keep(req, req.body.subarray(0, 10_000));
    res.socket?.destroy();
  };
  const fake = fakeWith({}, ["PATCH", SESSION, keepPartThenCut, (req, res) => fake.patch(req, res)]);
  const source = sourceOf(randomBytes(100 * KiB));
  const client = await connect(t);
  await client.blobUpload("x", source.descriptor, source.open, CHUNKED);
  assertStored(fake, source);
  const exchanges = server.requestsTo(SESSION).map((r) => [r.method, r.headers["content-range"], r.status]);
  assert.deepEqual(exchanges, [
    ["PATCH", "0-65535", undefined],
    ["GET", undefined, 204],
    ["PATCH", "10000-65535", 202],
    ["PATCH", "65536-102399", 202],
    ["PUT", undefined, 201],
  ]);
  assert.equal(source.opened(), 1);
});

/** The session's path without its query: which session a request went to. */
function sessionOf(url: string): string {
  return new URL(url, server.origin).pathname;
}

test("a streamed PUT whose connection is cut is never sent to that session again: a fresh session, a fresh open()", async (t) => {
  const keepPartThenCut: Reply = (req, res) => {
    fake.keep(req, req.body.subarray(0, 100_000));
    res.socket?.destroy();
  };
  const fake = fakeWith({}, ["PUT", SESSION, keepPartThenCut, (req, res) => fake.put(req, res)]);
  const source = sourceOf(randomBytes(2 * 1024 * KiB));
  const client = await connect(t);
  assert.equal(await client.blobUpload("x", source.descriptor, source.open), "uploaded");
  assertStored(fake, source);
  const puts = requests("PUT");
  assert.equal(puts.length, 2);
  assert.notEqual(
    sessionOf(nth(puts, 0).url),
    sessionOf(nth(puts, 1).url),
    "the second PUT went to a new session",
  );
  assert.equal(requests("POST").length, 2);
  assert.deepEqual(
    requests("DELETE").map((r) => sessionOf(r.url)),
    [sessionOf(nth(puts, 0).url)],
    "the cut session was cancelled",
  );
  assert.equal(source.opened(), 2);
  assert.equal(client.stats.retries, 1);
});

test("a PUT whose answer is lost after the registry stored the blob: a HEAD finds it, nothing is sent again", async (t) => {
  const storeThenCut: Reply = (req, res) => {
    const silent = { writeHead: () => ({ end: () => undefined }) } as unknown as typeof res;
    fake.put(req, silent);
    res.socket?.destroy();
  };
  const fake = fakeWith({}, ["PUT", SESSION, storeThenCut]);
  server.route("HEAD", /^\/v2\/x\/blobs\/sha256:/, (req, res) => {
    const stored = fake.blobs.get(req.url.pathname.slice("/v2/x/blobs/".length));
    res.writeHead(stored === undefined ? 404 : 200, { "content-length": stored?.length ?? 0 }).end();
  });
  const source = sourceOf(randomBytes(2 * 1024 * KiB));
  const client = await connect(t);
  assert.equal(await client.blobUpload("x", source.descriptor, source.open), "uploaded");
  assertStored(fake, source);
  assert.equal(requests("PUT").length, 1);
  assert.equal(requests("POST").length, 1);
  assert.equal(source.opened(), 1);
});

test("a PUT cut every time gives up after a bounded number of fresh sessions, each cancelled", async (t) => {
  const cut: Reply = (_req, res) => void res.socket?.destroy();
  const fake = fakeWith({}, ["PUT", SESSION, cut]);
  const source = sourceOf(randomBytes(2 * 1024 * KiB));
  const client = await connect(t);
  await assert.rejects(client.blobUpload("x", source.descriptor, source.open), hasCode("ERR_NETWORK"));
  const posts = requests("POST").length;
  assert.ok(posts > 2 && posts <= 8, `${posts} sessions`);
  assert.equal(requests("PUT").length, posts, "one PUT per session, never two");
  assert.equal(requests("DELETE").length, posts);
  assert.equal(fake.sessions.size, 0);
});

test("the registry lost the session: the upload starts over with a fresh session and open()", async (t) => {
  const forget: Reply = (req, res) => {
    fake.sessions.clear();
    fake.patch(req, res);
  };
  const patch: Reply = (req, res) => fake.patch(req, res);
  const fake = fakeWith({}, ["PATCH", SESSION, patch, forget, patch]);
  const source = sourceOf(randomBytes(200 * KiB));
  const progress: number[] = [];
  const client = await connect(t);
  const options = { ...CHUNKED, onProgress: (n: number) => progress.push(n) };
  assert.equal(await client.blobUpload("x", source.descriptor, source.open, options), "uploaded");
  assertStored(fake, source);
  assert.equal(source.opened(), 2);
  assert.equal(requests("POST").length, 2);
  assert.deepEqual(
    requests("GET").map((r) => r.status),
    [404],
  );
  assert.equal(requests("DELETE").length, 1);
  assert.deepEqual(progress.slice(0, 2), [65536, 0]);
  assert.equal(progress.at(-1), source.bytes.length);
});

test("OCI-Chunk-Min-Length above chunkSize is honoured; one above the blob size means one PUT", async (t) => {
  const fake = fakeWith({ chunkMin: 100_000 });
  const source = sourceOf(randomBytes(250_000));
  const client = await connect(t);
  await client.blobUpload("x", source.descriptor, source.open, CHUNKED);
  assertStored(fake, source);
  assert.deepEqual(
    requests("PATCH").map((r) => r.bodySize),
    [100_000, 100_000, 50_000],
  );
  server.reset();
  const small = sourceOf(randomBytes(80_000));
  const fake2 = fakeWith({ chunkMin: 100_000 });
  await client.blobUpload("x", small.descriptor, small.open, CHUNKED);
  assertStored(fake2, small);
  assert.equal(requests("PATCH").length, 0);
  assert.deepEqual(
    requests("PUT").map((r) => r.bodySize),
    [80_000],
  );
});

test("relative and absolute Locations are both followed, always the newest", async (t) => {
  const styles = ["relative-path", "absolute-url", "absolute-path", "relative-path", "absolute-url"] as const;
  const fake = fakeWith({ locationStyle: (n) => styles[n % styles.length] ?? "absolute-path" });
  const source = sourceOf(randomBytes(200 * KiB));
  const client = await connect(t);
  await client.blobUpload("x", source.descriptor, source.open, CHUNKED);
  assertStored(fake, source);
  const used = server.requestsTo(SESSION).map((r) => {
    const url = new URL(r.url, server.origin);
    url.searchParams.delete("digest");
    return `${r.method} ${url.pathname}${url.search}`;
  });
  const expected = fake.issued.map((location, i) => `${i < 4 ? "PATCH" : "PUT"} ${location}`);
  assert.deepEqual(used, expected);
  const put = new URL(nth(requests("PUT"), 0).url, server.origin);
  assert.equal(put.searchParams.get("digest"), source.descriptor.digest);
  assert.equal(put.searchParams.get("_state"), "s4");
});

test("a mount answered 202 returns false and the session it opened is cancelled", async (t) => {
  const fake = fakeWith({});
  const client = await connect(t);
  const digest = sha256Digest(Buffer.from("absent"));
  assert.equal(await client.blobMount("x", digest, "other/repo"), false);
  const post = new URL(nth(requests("POST"), 0).url, server.origin);
  assert.equal(post.searchParams.get("mount"), digest);
  assert.equal(post.searchParams.get("from"), "other/repo");
  assert.deepEqual(
    requests("DELETE").map((r) => [r.url, r.status]),
    [[nth(fake.issued, 0), 204]],
  );
  assert.equal(fake.sessions.size, 0);
});

test("a mount answered 201 is true; a declined one is false; a server error throws", async (t) => {
  const POST = /^\/v2\/x\/blobs\/uploads\/$/;
  server.route("POST", POST, status(201), status(405), registryError(404, "BLOB_UNKNOWN"), status(500));
  const client = await connect(t);
  const digest = sha256Digest(Buffer.from("layer"));
  assert.equal(await client.blobMount("x", digest, "y"), true);
  assert.equal(await client.blobMount("x", digest, "y"), false);
  assert.equal(await client.blobMount("x", digest, "y"), false);
  await assert.rejects(client.blobMount("x", digest, "y"), hasCode("ERR_REGISTRY"));
  assert.equal(requests("DELETE").length, 0);
});

test("the final PUT failing cancels the session with DELETE", async (t) => {
  const fake = fakeWith({}, ["PUT", SESSION, status(500)]);
  const source = sourceOf(randomBytes(100 * KiB));
  const client = await connect(t);
  await assert.rejects(
    client.blobUpload("x", source.descriptor, source.open, CHUNKED),
    hasCode("ERR_REGISTRY"),
  );
  assert.deepEqual(
    requests("PUT").map((r) => r.status),
    [500, 500, 500],
  );
  assert.deepEqual(
    requests("DELETE").map((r) => r.status),
    [204],
  );
  assert.equal(fake.sessions.size, 0);
  assert.equal(fake.blobs.size, 0);
});

test("a registry storing the upload under another digest is an ERR_DIGEST_MISMATCH", async (t) => {
  const otherDigest: Reply = (_req, res) => {
    res.writeHead(201, { "docker-content-digest": sha256Digest(Buffer.from("other")) }).end();
  };
  fakeWith({}, ["PUT", SESSION, otherDigest]);
  const source = sourceOf(randomBytes(2 * 1024 * KiB));
  const client = await connect(t);
  await assert.rejects(
    client.blobUpload("x", source.descriptor, source.open),
    hasCode("ERR_DIGEST_MISMATCH"),
  );
  assert.equal(requests("DELETE").length, 1);
});

test("a wrong source never reaches a trusting registry whole, streamed or chunked", async (t) => {
  const client = await connect(t);
  for (const options of [{}, CHUNKED]) {
    server.reset();
    const fake = fakeWith({ trusting: true });
    const bytes = randomBytes(2 * 1024 * KiB);
    const wrong = Buffer.from(bytes);
    wrong.writeUInt8(wrong.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1);
    const source = sourceOf(wrong, bytes);
    await assert.rejects(
      client.blobUpload("x", source.descriptor, source.open, options),
      hasCode("ERR_DIGEST_MISMATCH"),
    );
    assert.equal(fake.blobs.size, 0);
    const received = requests("PATCH").reduce((sum, r) => sum + r.bodySize, 0);
    assert.ok(received < bytes.length, `the registry received ${received} bytes`);
    assert.equal(requests("PUT").filter((r) => r.status === 201).length, 0);
    assert.equal(requests("DELETE").length, 1);
  }
});

test("an aborted upload is cancelled with DELETE and fails with ERR_ABORTED", async (t) => {
  const fake = fakeWith({});
  const source = sourceOf(randomBytes(300 * KiB));
  const controller = new AbortController();
  const client = await connect(t);
  const options = { ...CHUNKED, signal: controller.signal, onProgress: () => controller.abort() };
  await assert.rejects(
    client.blobUpload("x", source.descriptor, source.open, options),
    hasCode("ERR_ABORTED"),
  );
  assert.equal(requests("PATCH").length, 1);
  assert.deepEqual(
    requests("DELETE").map((r) => r.status),
    [204],
  );
  assert.equal(fake.sessions.size, 0);
});

test("a failing source is ERR_FILE, not retried as a network error, and the session is cancelled", async (t) => {
  fakeWith({});
  const bytes = randomBytes(2 * 1024 * KiB);
  let opened = 0;
  const open = (): Readable => {
    opened++;
    return Readable.from(
      (async function* broken() {
        yield bytes.subarray(0, 64 * KiB);
        await Promise.resolve();
        throw Object.assign(new Error("EIO: i/o error, read"), { code: "EIO" });
      })(),
    );
  };
  const client = await connect(t);
  const descriptor = { digest: sha256Digest(bytes), size: bytes.length };
  await assert.rejects(client.blobUpload("x", descriptor, open), hasCode("ERR_FILE"));
  assert.equal(opened, 1, "the transport did not retry the PUT");
  assert.equal(requests("DELETE").length, 1);
});

test("invalid options and digests are refused before any request", async (t) => {
  const client = await connect(t);
  const source = sourceOf(Buffer.from("{}"));
  await assert.rejects(
    client.blobUpload("x", source.descriptor, source.open, { chunkSize: 0 }),
    hasCode("ERR_USAGE"),
  );
  const bad = { digest: "sha256:nothex", size: 2 };
  await assert.rejects(client.blobUpload("x", bad, source.open), hasCode("ERR_DIGEST_INVALID"));
  await assert.rejects(client.blobMount("x", "md5:abc", "y"), hasCode("ERR_DIGEST_INVALID"));
  assert.equal(server.requests.filter((r) => r.method !== "HEAD").length, 0);
});
