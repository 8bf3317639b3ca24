/**
 * The registry client against a scripted fault server: what a healthy
 * registry never does (throttling, 5xx, cut connections, wrong bytes,
 * redirects to another host, token quirks, pagination tricks), asserted on
 * what the server saw and what the caller received.
 */
import { after, before, beforeEach, test, type TestContext } from "node:test";
import { performance } from "node:perf_hooks";
import { setTimeout } from "node:timers/promises";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { RegistryError } from "../../src/errors.js";
import { sha256Digest } from "../../src/oci/digest.js";
import type { RegistryClient } from "../../src/registry/client.js";
import { connectRegistry, type RegistryOptions } from "../../src/registry/connect.js";
import { pullScope, pushScope } from "../../src/registry/scope.js";
import { RegistryTransport, type RetryNotice } from "../../src/registry/transport.js";
import { getManifest } from "../../src/verbs/read.js";
import {
  assertNoSecrets,
  hasCode,
  nth,
  readAll,
  readUntilError,
  rejectionOf,
} from "../harness/fault-checks.js";
import { bearerGate, tokenService, type TokenService } from "../harness/fault-auth.js";
import {
  blob,
  challenge,
  json,
  manifest,
  redirect,
  registryError,
  status,
  when,
} from "../harness/fault-routes.js";
import { startFaultServer, type FaultServer, type Reply } from "../harness/fault-server.js";

const REPO = "x";
const MANIFESTS = /^\/v2\/x\/manifests\//;
const BLOBS = /^\/v2\/x\/blobs\//;
const TAGS = /^\/v2\/x\/tags\/list$/;
const NO_AUTH_FILE = "/nonexistent/airlock-fault-test/auth.json";
const USERNAME = "alice";
const PASSWORD = "Tr0ub4dor&3-fault-pw-7f3a";
const BASIC = "Basic " + Buffer.from(`${USERNAME}:${PASSWORD}`).toString("base64");
const SERVICE = "fault-registry";

let server: FaultServer;
let other: FaultServer;

before(async () => {
  server = await startFaultServer();
  other = await startFaultServer();
});

after(async () => {
  await server.close();
  await other.close();
});

beforeEach(() => {
  server.reset();
  other.reset();
});

async function connect(t: TestContext, options: RegistryOptions = {}): Promise<RegistryClient> {
  const client = await connectRegistry(server.host, {
    plainHttp: true,
    authFile: NO_AUTH_FILE,
    ...options,
    retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 3, ...options.retry },
  });
  t.after(() => client.close());
  return client;
}

const withCredentials: RegistryOptions = { credential: { username: USERNAME, password: PASSWORD } };

function imageManifest(note: string): Buffer {
  const config = {
    mediaType: "application/vnd.oci.image.config.v1+json",
    digest: sha256Digest(Buffer.from("{}")),
    size: 2,
  };
  const body = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config,
    layers: [],
  };
  return Buffer.from(JSON.stringify({ ...body, annotations: { note } }));
}

/** A copy of `bytes` with one byte inverted. */
function flipByte(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt8(copy.readUInt8(index) ^ 0xff, index);
  return copy;
}

function statuses(url: RegExp, on: FaultServer = server): (number | undefined)[] {
  return on.requestsTo(url).map((r) => r.status);
}

// --- retries -------------------------------------------------------------

test("429 with Retry-After: 1 then 200: the retry comes about a second later", async (t) => {
  const bytes = imageManifest("throttled");
  server.route("GET", MANIFESTS, status(429, { "retry-after": "1" }), manifest(bytes));
  const client = await connect(t);
  const got = await client.manifestGet(REPO, "v1");
  assert.equal(got.digest, sha256Digest(bytes));
  assert.deepEqual(statuses(MANIFESTS), [429, 200]);
  const [first, second] = [nth(server.requests, 0), nth(server.requests, 1)];
  assert.ok(second.at - first.at >= 900, `retried after ${Math.round(second.at - first.at)} ms`);
});

test("Retry-After as an HTTP-date: the retry waits until that date", async (t) => {
  let retryAt = 0;
  const dated: Reply = (req, res) => {
    retryAt = Math.ceil((Date.now() + 500) / 1000) * 1000;
    return status(503, { "retry-after": new Date(retryAt).toUTCString() })(req, res);
  };
  const bytes = imageManifest("dated");
  server.route("GET", MANIFESTS, dated, manifest(bytes));
  const client = await connect(t);
  assert.equal((await client.manifestGet(REPO, "v1")).digest, sha256Digest(bytes));
  const [first, second] = [nth(server.requests, 0), nth(server.requests, 1)];
  assert.ok(retryAt - first.wallClock >= 400, "the date asked for a real wait");
  assert.ok(second.wallClock >= retryAt - 25, `retried ${retryAt - second.wallClock} ms before the date`);
});

test("a Retry-After beyond the retry budget fails at once instead of waiting", async (t) => {
  server.route("GET", MANIFESTS, status(429, { "retry-after": "3600" }), manifest(imageManifest("late")));
  const client = await connect(t);
  await assert.rejects(client.manifestGet(REPO, "v1"), hasCode("ERR_REGISTRY"));
  assert.deepEqual(statuses(MANIFESTS), [429]);
  server.reset();
  server.route("GET", MANIFESTS, status(503, { "retry-after": "2" }), manifest(imageManifest("soon")));
  const short = await connect(t, { retryForMs: 1_500 });
  const began = performance.now();
  await assert.rejects(short.manifestGet(REPO, "v1"), hasCode("ERR_REGISTRY"));
  assert.ok(performance.now() - began < 1_000, "no wait for a Retry-After past the budget");
  assert.deepEqual(statuses(MANIFESTS), [503]);
});

test("a persistent 503 is retried until the time budget is spent, with capped backoff", async (t) => {
  server.route("GET", MANIFESTS, status(503));
  const client = await connectRegistry(server.host, {
    plainHttp: true,
    authFile: NO_AUTH_FILE,
    retryForMs: 600,
    retry: { baseDelayMs: 20, maxDelayMs: 50 },
  });
  t.after(() => client.close());
  const began = performance.now();
  await assert.rejects(client.manifestGet(REPO, "v1"), hasCode("ERR_REGISTRY"));
  const took = performance.now() - began;
  assert.ok(took >= 550 && took < 2_000, `gave up after ${Math.round(took)} ms`);
  const requests = server.requestsTo(MANIFESTS);
  assert.ok(requests.length >= 10, `${requests.length} requests in 600 ms with backoff capped at 50 ms`);
  const gaps = requests.slice(1).map((r, i) => r.at - nth(requests, i).at);
  assert.ok(Math.max(...gaps) < 200, `longest gap ${Math.round(Math.max(...gaps))} ms`);
  assert.equal(client.stats.retries, requests.length - 1);
});

test("retryForMs 0 retries nothing", async (t) => {
  server.route("GET", MANIFESTS, status(503), manifest(imageManifest("never")));
  const client = await connect(t, { retryForMs: 0 });
  await assert.rejects(client.manifestGet(REPO, "v1"), hasCode("ERR_REGISTRY"));
  assert.deepEqual(statuses(MANIFESTS), [503]);
  assert.equal(client.stats.retries, 0);
});

test("500, 503, then 200 on a manifest GET succeeds on the third request", async (t) => {
  const bytes = imageManifest("flaky");
  server.route("GET", MANIFESTS, registryError(500, "UNKNOWN"), status(503), manifest(bytes));
  const client = await connect(t);
  assert.equal((await client.manifestGet(REPO, "v1")).digest, sha256Digest(bytes));
  assert.deepEqual(statuses(MANIFESTS), [500, 503, 200]);
});

test("a connection reset at the first contact is a clear error at once; once the registry answered, it is retried", async (t) => {
  const bytes = imageManifest("reset");
  const reset: Reply = (_req, res) => void res.socket?.destroy();
  server.route("GET", MANIFESTS, reset, manifest(bytes), reset, manifest(bytes));
  const client = await connect(t);
  const error = await rejectionOf(client.manifestGet(REPO, "v1"));
  assert.ok(hasCode("ERR_NETWORK")(error));
  assert.equal(server.requestsTo(MANIFESTS).length, 1);
  assert.equal((await client.manifestGet(REPO, "v1")).digest, sha256Digest(bytes), "the registry answers");
  assert.equal((await client.manifestGet(REPO, "v1")).digest, sha256Digest(bytes), "a reset, retried");
  assert.equal(server.requestsTo(MANIFESTS).length, 4);
});

test("a registry that stops listening mid-run is waited for, on a new connection, until it listens again", async (t) => {
  const flaky = await startFaultServer();
  const port = flaky.port;
  const bytes = imageManifest("outage");
  flaky.route("GET", MANIFESTS, manifest(bytes));
  const notices: RetryNotice[] = [];
  const client = await connectRegistry(flaky.host, {
    plainHttp: true,
    authFile: NO_AUTH_FILE,
    retry: { baseDelayMs: 50, maxDelayMs: 200 },
    onRetry: (notice) => notices.push(notice),
  });
  t.after(() => client.close());
  await client.manifestGet(REPO, "v1");
  await flaky.close();
  const back = (async () => {
    await setTimeout(1_200);
    const again = await startFaultServer(port);
    again.route("GET", MANIFESTS, manifest(bytes));
    return again;
  })();
  const began = performance.now();
  assert.equal((await client.manifestGet(REPO, "v1")).digest, sha256Digest(bytes));
  const server2 = await back;
  t.after(() => server2.close());
  assert.ok(performance.now() - began >= 1_000, "it waited for the registry");
  assert.ok(client.stats.retries >= 2, `${client.stats.retries} retries`);
  assert.ok(notices.every((n) => n.registry === flaky.host && /connection refused/.test(n.reason)));
  assert.ok((notices.at(-1)?.unreachableForMs ?? 0) >= 500, "the notices say for how long");
});

test("a pooled connection closed by the registry is replaced at once, not counted as a retry", async (t) => {
  const bytes = imageManifest("stale");
  // Answers, then closes the kept-alive connection as the next request arrives on it, before any answer.
  const closeOnReuse: Reply = (_req, res) => void res.socket?.destroy();
  server.route("GET", MANIFESTS, manifest(bytes), closeOnReuse, manifest(bytes));
  const client = await connect(t, { retry: { maxAttempts: 1, baseDelayMs: 10_000 } });
  await client.manifestGet(REPO, "v1");
  await setTimeout(20); // the connection back in the pool, idle
  const began = performance.now();
  assert.equal((await client.manifestGet(REPO, "v1")).digest, sha256Digest(bytes));
  assert.ok(performance.now() - began < 1_000, "no backoff");
  assert.deepEqual(client.stats, { retries: 0, reconnects: 1 });
  const [first, second, third] = server.requestsTo(MANIFESTS);
  assert.equal(first?.remotePort, second?.remotePort, "the second request reused the connection");
  assert.notEqual(third?.remotePort, second?.remotePort, "the resend went on a new connection");
});

test("a persistent 500 fails with ERR_REGISTRY after maxAttempts requests", async (t) => {
  server.route("GET", MANIFESTS, registryError(500, "UNKNOWN"));
  const client = await connect(t, { retry: { maxAttempts: 4 } });
  await assert.rejects(client.manifestGet(REPO, "v1"), (err) => {
    assert.ok(err instanceof RegistryError);
    assert.equal(err.code, "ERR_REGISTRY");
    assert.equal(err.status, 500);
    return true;
  });
  assert.deepEqual(statuses(MANIFESTS), [500, 500, 500, 500]);
});

// --- blobs: cut connections and wrong bytes -----------------------------

const BLOB_BYTES = randomBytes(300_000);
const BLOB = { digest: sha256Digest(BLOB_BYTES), size: BLOB_BYTES.length };
const CUT_AT = 100_000;

test("a blob cut after N bytes resumes with Range: bytes=N- and verifies", async (t) => {
  server.route("GET", BLOBS, blob(BLOB_BYTES, { cutAfter: CUT_AT }), blob(BLOB_BYTES, { honourRange: true }));
  const client = await connect(t);
  const got = await readAll(await client.blobGet(REPO, BLOB));
  assert.equal(got.length, BLOB.size);
  assert.equal(sha256Digest(got), BLOB.digest);
  const [first, resume] = [nth(server.requests, 0), nth(server.requests, 1)];
  assert.equal(first.headers.range, undefined);
  assert.equal(resume.headers.range, `bytes=${CUT_AT}-`);
  assert.deepEqual(statuses(BLOBS), [200, 206]);
});

test("a blob cut twice resumes twice, each from where it stopped", async (t) => {
  const second = blob(BLOB_BYTES, { honourRange: true, cutAfter: 50_000 });
  server.route(
    "GET",
    BLOBS,
    blob(BLOB_BYTES, { cutAfter: CUT_AT }),
    second,
    blob(BLOB_BYTES, { honourRange: true }),
  );
  const client = await connect(t);
  const got = await readAll(await client.blobGet(REPO, BLOB));
  assert.ok(got.equals(BLOB_BYTES));
  const ranges = server.requestsTo(BLOBS).map((r) => r.headers.range);
  assert.deepEqual(ranges, [undefined, `bytes=${CUT_AT}-`, `bytes=${CUT_AT + 50_000}-`]);
});

test("a blob cut on every answer gives up after a bounded number of resumes", async (t) => {
  server.route(
    "GET",
    BLOBS,
    blob(BLOB_BYTES, { cutAfter: 1_000 }),
    blob(BLOB_BYTES, { honourRange: true, cutAfter: 1_000 }),
  );
  const client = await connect(t);
  const { received, error } = await readUntilError(await client.blobGet(REPO, BLOB));
  assert.ok(hasCode("ERR_NETWORK")(error));
  assert.ok(received.equals(BLOB_BYTES.subarray(0, received.length)));
  const requests = server.requestsTo(BLOBS).length;
  assert.ok(requests > 2 && requests <= 10, `${requests} requests`);
});

/** A 206 that claims to start at byte 0 whatever was asked. */
const rangeFromZero: Reply = (_req, res) => {
  const range = `bytes 0-${BLOB.size - 1}/${BLOB.size}`;
  res.writeHead(206, { "content-range": range, "content-length": BLOB.size });
  res.end(BLOB_BYTES);
};

for (const [name, resume, status] of [
  ["200 (Range ignored)", blob(BLOB_BYTES), 200],
  ["206 from the wrong offset", rangeFromZero, 206],
] as const) {
  test(`a resume answered with ${name} fails instead of duplicating bytes`, async (t) => {
    server.route("GET", BLOBS, blob(BLOB_BYTES, { cutAfter: CUT_AT }), resume);
    const client = await connect(t);
    const { received, error } = await readUntilError(await client.blobGet(REPO, BLOB));
    assert.ok(hasCode("ERR_NETWORK")(error));
    assert.ok(received.length <= CUT_AT, `received ${received.length} bytes`);
    assert.ok(received.equals(BLOB_BYTES.subarray(0, received.length)), "only the true prefix was passed on");
    assert.deepEqual(statuses(BLOBS), [200, status]);
  });
}

test("the hash runs across a resume: a resumed tail with wrong bytes fails", async (t) => {
  const tampered = flipByte(BLOB_BYTES, BLOB.size - 1);
  server.route("GET", BLOBS, blob(BLOB_BYTES, { cutAfter: CUT_AT }), blob(tampered, { honourRange: true }));
  const client = await connect(t);
  const { error } = await readUntilError(await client.blobGet(REPO, BLOB));
  assert.ok(hasCode("ERR_DIGEST_MISMATCH")(error));
  assert.deepEqual(statuses(BLOBS), [200, 206]);
});

test("a blob whose bytes do not match its digest fails with ERR_DIGEST_MISMATCH", async (t) => {
  const tampered = flipByte(BLOB_BYTES, 0);
  server.route("GET", BLOBS, blob(tampered));
  const client = await connect(t);
  const { error } = await readUntilError(await client.blobGet(REPO, BLOB));
  assert.ok(hasCode("ERR_DIGEST_MISMATCH")(error));
});

test("a blob with too many bytes fails with ERR_SIZE_MISMATCH before passing them on", async (t) => {
  server.route("GET", BLOBS, blob(Buffer.concat([BLOB_BYTES, Buffer.from("extra")])));
  const client = await connect(t);
  const { received, error } = await readUntilError(await client.blobGet(REPO, BLOB));
  assert.ok(hasCode("ERR_SIZE_MISMATCH")(error));
  assert.ok(received.length <= BLOB.size);
});

test("a blob with too few bytes fails with ERR_SIZE_MISMATCH", async (t) => {
  server.route("GET", BLOBS, blob(BLOB_BYTES.subarray(0, BLOB.size - 10)));
  const client = await connect(t);
  const { error } = await readUntilError(await client.blobGet(REPO, BLOB));
  assert.ok(hasCode("ERR_SIZE_MISMATCH")(error));
});

// --- manifests: digests, HEAD, schema 1 ----------------------------------

test("a manifest fetched by digest whose bytes do not match fails with ERR_DIGEST_MISMATCH", async (t) => {
  const wanted = sha256Digest(imageManifest("wanted"));
  server.route("GET", MANIFESTS, manifest(imageManifest("served instead"), { digestHeader: wanted }));
  const client = await connect(t);
  await assert.rejects(client.manifestGet(REPO, wanted), hasCode("ERR_DIGEST_MISMATCH"));
});

test("a wrong Docker-Content-Digest on a by-tag fetch is ignored: the digest comes from the bytes", async (t) => {
  const bytes = imageManifest("tagged");
  server.route("GET", MANIFESTS, manifest(bytes, { digestHeader: sha256Digest(Buffer.from("lies")) }));
  const client = await connect(t);
  const got = await client.manifestGet(REPO, "v1");
  assert.equal(got.digest, sha256Digest(bytes));
  assert.ok(got.bytes.equals(bytes));
});

test("HEAD without Docker-Content-Digest falls back to GET", async (t) => {
  const bytes = imageManifest("headless");
  server.route("HEAD", MANIFESTS, manifest(bytes, { digestHeader: null }));
  server.route("GET", MANIFESTS, manifest(bytes));
  const client = await connect(t);
  const desc = await client.manifestHead(REPO, "v1");
  assert.deepEqual(desc, {
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: sha256Digest(bytes),
    size: bytes.length,
  });
  assert.deepEqual(
    server.requests.map((r) => r.method),
    ["HEAD", "GET"],
  );
});

test("HEAD with Docker-Content-Digest needs no GET", async (t) => {
  const bytes = imageManifest("headed");
  server.route("HEAD", MANIFESTS, manifest(bytes));
  const client = await connect(t);
  assert.equal((await client.manifestHead(REPO, "v1"))?.digest, sha256Digest(bytes));
  assert.deepEqual(
    server.requests.map((r) => r.method),
    ["HEAD"],
  );
});

test("a schema 1 manifest is refused by getManifest with ERR_MANIFEST_UNSUPPORTED", async () => {
  const schema1 = {
    schemaVersion: 1,
    name: REPO,
    tag: "old",
    architecture: "amd64",
    fsLayers: [],
    history: [],
  };
  const bytes = Buffer.from(JSON.stringify({ ...schema1, signatures: [] }, null, 3));
  const prettyjws = "application/vnd.docker.distribution.manifest.v1+prettyjws";
  server.route("GET", MANIFESTS, manifest(bytes, { mediaType: prettyjws }));
  const options = { plainHttp: true, authFile: NO_AUTH_FILE };
  await assert.rejects(
    getManifest(`${server.host}/${REPO}:old`, options),
    hasCode("ERR_MANIFEST_UNSUPPORTED"),
  );
  assert.deepEqual(statuses(MANIFESTS), [200]);
});

test("a manifest Content-Type with parameters and capitals is normalised", async (t) => {
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] }));
  const mediaType = "Application/VND.oci.image.index.v1+JSON; charset=utf-8";
  server.route("GET", MANIFESTS, manifest(index, { mediaType }));
  const client = await connect(t);
  assert.equal((await client.manifestGet(REPO, "v1")).mediaType, "application/vnd.oci.image.index.v1+json");
});

test("a manifest over the size cap is refused by its Content-Length, unread", async (t) => {
  const declared = 64 * 1024 * 1024;
  server.route("GET", MANIFESTS, (_req, res) => {
    res.writeHead(200, {
      "content-type": "application/vnd.oci.image.manifest.v1+json",
      "content-length": declared,
    });
    res.write("{");
  });
  const client = await connect(t);
  await assert.rejects(client.manifestGet(REPO, "huge"), hasCode("ERR_TOO_LARGE"));
});

// --- redirects -----------------------------------------------------------

test("a blob redirected to another host gets no Authorization there, and still verifies", async (t) => {
  const signed = `${other.origin}/blobs/${BLOB.digest}?sig=s3cr3t-signature`;
  const hasBasic = (req: { headers: { authorization?: string } }): boolean =>
    req.headers.authorization === BASIC;
  server.route("GET", BLOBS, when(hasBasic, redirect(signed), challenge('Basic realm="fault"')));
  other.route("GET", /^\/blobs\//, blob(BLOB_BYTES));
  const debug: string[] = [];
  const client = await connect(t, { ...withCredentials, onDebug: (line) => debug.push(line) });
  const got = await readAll(await client.blobGet(REPO, BLOB));
  assert.equal(sha256Digest(got), BLOB.digest);
  assert.deepEqual(statuses(BLOBS), [401, 307]);
  assert.equal(nth(server.requests, 1).authorization, BASIC, "the first host did get credentials");
  assert.equal(other.requests.length, 1);
  assert.equal(nth(other.requests, 0).authorization, undefined, "no Authorization to another origin");
  assert.ok(!debug.join("\n").includes("s3cr3t-signature"), "signed URL query is redacted in debug lines");
});

test("a redirected blob cut mid-way resumes through the redirect, still without Authorization there", async (t) => {
  const hasBasic = (req: { headers: { authorization?: string } }): boolean =>
    req.headers.authorization === BASIC;
  server.route(
    "GET",
    BLOBS,
    when(hasBasic, redirect(`${other.origin}/blobs/b`), challenge('Basic realm="fault"')),
  );
  other.route(
    "GET",
    /^\/blobs\//,
    blob(BLOB_BYTES, { cutAfter: CUT_AT }),
    blob(BLOB_BYTES, { honourRange: true }),
  );
  const client = await connect(t, withCredentials);
  assert.ok((await readAll(await client.blobGet(REPO, BLOB))).equals(BLOB_BYTES));
  assert.deepEqual(statuses(BLOBS), [401, 307, 307]);
  assert.deepEqual(
    other.requests.map((r) => [r.status, r.headers.range, r.authorization]),
    [
      [200, undefined, undefined],
      [206, `bytes=${CUT_AT}-`, undefined],
    ],
  );
});

test("a 401 challenge from a redirect target is not trusted with the credentials", async (t) => {
  const tokens = tokenService();
  other.route("GET", /^\/token$/, tokens.reply);
  server.route("GET", BLOBS, redirect(`${other.origin}/blobs/b`));
  other.route("GET", /^\/blobs\//, challenge(`Bearer realm="${other.origin}/token",service="cdn"`));
  const client = await connect(t, withCredentials);
  await assert.rejects(client.blobGet(REPO, BLOB), hasCode("ERR_AUTH"));
  assert.equal(tokens.issued.length, 0, "no token request to a realm named by another origin");
  assert.ok(
    [...server.requests, ...other.requests].every((r) => r.authorization === undefined),
    "credentials went nowhere",
  );
});

// --- bearer tokens -------------------------------------------------------

/** Mounts a token service at /token (of `realmOn`) and a bearer-gated manifest route (GET/HEAD pull, PUT push). */
function gateManifests(tokens: TokenService, bytes: Buffer, realmOn: FaultServer = server): void {
  realmOn.route("GET", /^\/token$/, tokens.reply);
  const serve: Reply = (req, res) =>
    req.method === "PUT"
      ? status(201, { "docker-content-digest": sha256Digest(req.body) })(req, res)
      : manifest(bytes)(req, res);
  const scope = (req: { method: string }): string =>
    `repository:${REPO}:${req.method === "PUT" ? "push" : "pull"}`;
  server.route(
    "*",
    MANIFESTS,
    bearerGate(tokens, { realm: `${realmOn.origin}/token`, service: SERVICE, scope }, serve),
  );
}

test("bearer, anonymous: the token request carries no Authorization; the token is then used", async (t) => {
  const tokens = tokenService();
  gateManifests(tokens, imageManifest("anon"));
  const client = await connect(t);
  await client.manifestGet(REPO, "v1");
  assert.equal(tokens.issued.length, 1);
  const issued = nth(tokens.issued, 0);
  assert.equal(issued.authorization, undefined);
  assert.equal(issued.account, null);
  assert.equal(issued.service, SERVICE);
  assert.deepEqual(issued.scopes, [`repository:${REPO}:pull`]);
  assert.deepEqual(
    server.requestsTo(MANIFESTS).map((r) => [r.status, r.authorization]),
    [
      [401, undefined],
      [200, "Bearer tok-1"],
    ],
  );
});

test("bearer with credentials: Basic goes only to the realm, the registry sees only the token", async (t) => {
  const tokens = tokenService({ credentials: { username: USERNAME, password: PASSWORD } });
  gateManifests(tokens, imageManifest("creds"), other);
  const client = await connect(t, withCredentials);
  await client.manifestGet(REPO, "v1");
  const issued = nth(tokens.issued, 0);
  assert.equal(issued.authorization, BASIC);
  assert.equal(issued.account, USERNAME);
  assert.deepEqual(
    server.requests.map((r) => r.authorization),
    [undefined, "Bearer tok-1"],
  );
});

test("bearer: pull then push on one repository asks for one merged scope", async (t) => {
  const tokens = tokenService();
  gateManifests(tokens, imageManifest("merge"));
  const client = await connect(t);
  await client.manifestGet(REPO, "v1");
  const pushed = imageManifest("pushed");
  assert.equal(
    await client.manifestPut(REPO, "v2", pushed, "application/vnd.oci.image.manifest.v1+json"),
    sha256Digest(pushed),
  );
  assert.deepEqual(
    tokens.issued.map((i) => i.scopes),
    [[`repository:${REPO}:pull`], [`repository:${REPO}:pull,push`]],
  );
  assert.deepEqual(statuses(MANIFESTS), [401, 200, 201]);
  assert.equal(nth(server.requestsTo(MANIFESTS, "PUT"), 0).bodySize, pushed.length);
});

test("bearer: a challenge naming a wider scope is honoured in the token request", async (t) => {
  const tokens = tokenService();
  server.route("GET", /^\/token$/, tokens.reply);
  const scope = (): string => `repository:${REPO}:pull,push`;
  const realm = `${server.origin}/token`;
  server.route(
    "GET",
    MANIFESTS,
    bearerGate(tokens, { realm, service: SERVICE, scope }, manifest(imageManifest("wide"))),
  );
  const client = await connect(t);
  await client.manifestGet(REPO, "v1");
  assert.deepEqual(
    tokens.issued.map((i) => i.scopes),
    [[`repository:${REPO}:pull,push`]],
  );
});

test("bearer: one request needing several resources repeats scope once per resource, merged per repository", async (t) => {
  // No client method needs two repositories yet (a cross-repository mount will): use the transport.
  const tokens = tokenService();
  server.route("GET", /^\/token$/, tokens.reply);
  const scope = (): string => `repository:${REPO}:pull`;
  server.route(
    "GET",
    BLOBS,
    bearerGate(tokens, { realm: `${server.origin}/token`, service: SERVICE, scope }, status(200)),
  );
  const transport = new RegistryTransport({
    registry: server.host,
    apiHost: server.host,
    scheme: "http",
    tls: { rejectUnauthorized: true },
    credential: () => Promise.resolve(undefined),
    retry: { baseDelayMs: 5 },
    userAgent: "airlock-fault-test",
  });
  t.after(() => transport.close());
  const scopes = [pullScope("y"), pushScope(REPO), pullScope(REPO)];
  const res = await transport.send({
    method: "GET",
    path: `/v2/${REPO}/blobs/${BLOB.digest}`,
    scopes,
    expect: [200],
    what: "blob",
  });
  await res.body.dump();
  assert.deepEqual(nth(tokens.issued, 0).scopes.toSorted(), [
    `repository:${REPO}:pull,push`,
    "repository:y:pull",
  ]);
});

test("bearer: one token serves several requests", async (t) => {
  const tokens = tokenService();
  gateManifests(tokens, imageManifest("reuse"));
  const client = await connect(t);
  for (const tag of ["a", "b", "c"]) await client.manifestGet(REPO, tag);
  await client.manifestHead(REPO, "d");
  assert.equal(tokens.issued.length, 1);
  assert.deepEqual(statuses(MANIFESTS), [401, 200, 200, 200, 200]);
});

test("bearer: concurrent requests share one token request", async (t) => {
  const tokens = tokenService();
  gateManifests(tokens, imageManifest("concurrent"));
  const client = await connect(t);
  await Promise.all(["a", "b", "c"].map((tag) => client.manifestGet(REPO, tag)));
  assert.equal(tokens.issued.length, 1, "cold start: one token for three concurrent pulls");
  const put = (tag: string): Promise<string> =>
    client.manifestPut(REPO, tag, imageManifest(tag), "application/vnd.oci.image.manifest.v1+json");
  await Promise.all(["d", "e", "f"].map(put));
  assert.equal(tokens.issued.length, 2, "one more token for three concurrent pushes");
});

test("bearer: a 401 invalid_token on a cached token fetches exactly one new token", async (t) => {
  const tokens = tokenService();
  gateManifests(tokens, imageManifest("revoked"));
  const client = await connect(t);
  await client.manifestGet(REPO, "v1");
  tokens.revoke("tok-1");
  await client.manifestGet(REPO, "v1");
  await client.manifestGet(REPO, "v1");
  assert.equal(tokens.issued.length, 2);
  assert.deepEqual(
    server.requestsTo(MANIFESTS).map((r) => [r.status, r.authorization]),
    [
      [401, undefined],
      [200, "Bearer tok-1"],
      [401, "Bearer tok-1"],
      [200, "Bearer tok-2"],
      [200, "Bearer tok-2"],
    ],
  );
});

test("bearer: a registry that refuses every token fails with ERR_AUTH without looping", async (t) => {
  const tokens = tokenService();
  server.route("GET", /^\/token$/, tokens.reply);
  const realm = `${server.origin}/token`;
  server.route(
    "GET",
    MANIFESTS,
    challenge(`Bearer realm="${realm}",service="${SERVICE}",error="invalid_token"`),
  );
  const client = await connect(t);
  await assert.rejects(client.manifestGet(REPO, "v1"), hasCode("ERR_AUTH"));
  assert.ok(tokens.issued.length <= 2, `${tokens.issued.length} token requests`);
});

for (const [field, expected] of [
  ["access_token", "Bearer tok-1"],
  ["both", "Bearer tok-1"],
] as const) {
  test(`bearer: a token response with ${field === "both" ? "token and access_token uses token" : "only access_token works"}`, async (t) => {
    const tokens = tokenService({ field });
    gateManifests(tokens, imageManifest(field));
    const client = await connect(t);
    await client.manifestGet(REPO, "v1");
    assert.equal(nth(server.requestsTo(MANIFESTS), 1).authorization, expected);
  });
}

test("bearer: expires_in is respected, with at least 60 s", async (t) => {
  t.mock.timers.enable({ apis: ["Date"], now: Date.now() });
  const tokens = tokenService({ expiresIn: 300 });
  gateManifests(tokens, imageManifest("expiry"));
  const client = await connect(t);
  const fetchCounting = async (): Promise<number> => {
    await client.manifestGet(REPO, "v1");
    return tokens.issued.length;
  };
  assert.equal(await fetchCounting(), 1);
  t.mock.timers.tick(200_000);
  assert.equal(await fetchCounting(), 1, "still valid after 200 s of 300");
  t.mock.timers.tick(100_000);
  assert.equal(await fetchCounting(), 2, "renewed once expired");
});

test("bearer: an expires_in under 60 s counts as 60 s", async (t) => {
  t.mock.timers.enable({ apis: ["Date"], now: Date.now() });
  const tokens = tokenService({ expiresIn: 10 });
  gateManifests(tokens, imageManifest("short"));
  const client = await connect(t);
  await client.manifestGet(REPO, "v1");
  t.mock.timers.tick(30_000);
  await client.manifestGet(REPO, "v1");
  assert.equal(tokens.issued.length, 1, "still valid after 30 s");
  t.mock.timers.tick(30_000);
  await client.manifestGet(REPO, "v1");
  assert.equal(tokens.issued.length, 2, "renewed after 60 s");
});

// --- tag lists -----------------------------------------------------------

const PAGES: Record<string, { tags: (string | null)[]; next?: string }> = {
  "": { tags: ["a", "b"], next: "b" },
  b: { tags: ["c", null, "sha256:0123abcd", "d"], next: "d" },
  d: { tags: ["e"] },
};

function tagPages(linkBase = ""): Reply {
  return (req, res) => {
    const page = PAGES[req.url.searchParams.get("last") ?? ""];
    if (page === undefined) return registryError(400, "PAGINATION_NUMBER_INVALID")(req, res);
    const link = page.next && `<${linkBase}/v2/${REPO}/tags/list?n=2&last=${page.next}>; rel="next"`;
    return json({ name: REPO, tags: page.tags }, link ? { link } : {})(req, res);
  };
}

test("tag list: Link pagination over 3 pages returns every tag in order, without null or digest entries", async (t) => {
  server.route("GET", TAGS, tagPages());
  const client = await connect(t);
  assert.deepEqual(await client.tagList(REPO, { pageSize: 2 }), ["a", "b", "c", "d", "e"]);
  assert.deepEqual(
    server.requests.map((r) => r.url),
    [`/v2/${REPO}/tags/list?n=2`, `/v2/${REPO}/tags/list?n=2&last=b`, `/v2/${REPO}/tags/list?n=2&last=d`],
  );
});

test("tag list: a Link to another host fails and is not followed", async (t) => {
  server.route("GET", TAGS, tagPages(other.origin));
  other.route("GET", TAGS, tagPages());
  const client = await connect(t);
  await assert.rejects(client.tagList(REPO, { pageSize: 2 }), hasCode("ERR_REGISTRY"));
  assert.equal(other.requests.length, 0);
});

// --- secrets -------------------------------------------------------------

const SECRETS = [PASSWORD, Buffer.from(`${USERNAME}:${PASSWORD}`).toString("base64"), BASIC];

test("refused Basic credentials never leak into the error, its causes or debug lines", async (t) => {
  server.route("*", /^\/v2\//, challenge('Basic realm="fault"'));
  const debug: string[] = [];
  const client = await connect(t, { ...withCredentials, onDebug: (line) => debug.push(line) });
  const error = await rejectionOf(client.manifestGet(REPO, "v1"));
  assert.ok(hasCode("ERR_AUTH")(error));
  assert.deepEqual(
    server.requests.map((r) => [r.status, r.authorization]),
    [
      [401, undefined],
      [401, BASIC],
    ],
  );
  assert.ok(debug.length >= 2);
  assertNoSecrets(error, debug, SECRETS);
});

test("credentials refused by the token service never leak either", async (t) => {
  const tokens = tokenService({ credentials: { username: USERNAME, password: "another-password" } });
  gateManifests(tokens, imageManifest("secret"));
  const debug: string[] = [];
  const client = await connect(t, { ...withCredentials, onDebug: (line) => debug.push(line) });
  const error = await rejectionOf(client.manifestGet(REPO, "v1"));
  assert.ok(hasCode("ERR_AUTH")(error));
  assert.equal(nth(server.requestsTo(/^\/token/), 0).authorization, BASIC);
  assertNoSecrets(error, debug, SECRETS);
});

test("a connection cut on an authenticated request leaks no credentials through its cause", async (t) => {
  const hasBasic = (req: { headers: { authorization?: string } }): boolean =>
    req.headers.authorization === BASIC;
  const cut: Reply = (_req, res) => void res.socket?.destroy();
  server.route("GET", MANIFESTS, when(hasBasic, cut, challenge('Basic realm="fault"')));
  const debug: string[] = [];
  const client = await connect(t, { ...withCredentials, onDebug: (line) => debug.push(line) });
  const error = await rejectionOf(client.manifestGet(REPO, "v1"));
  assert.ok(hasCode("ERR_NETWORK")(error));
  assert.ok(error instanceof Error && error.cause !== undefined, "the network error keeps its cause");
  assert.equal(nth(server.requests, 1).authorization, BASIC);
  assertNoSecrets(error, debug, SECRETS);
});
