/**
 * The real-registry harness itself: each variant starts, answers /v2/ the way
 * its auth and transport promise, and takes a push from skopeo that skopeo
 * then reads back byte for byte.
 */
import { test, before, after, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, fetch as undiciFetch } from "undici";
import { startRegistry, type RegistryVariant, type TestRegistry } from "../harness/registry.js";
import { writeTinyOciLayout, type TinyImage } from "../harness/tiny-image.js";
import { requireTool, runSkopeo } from "../harness/tools.js";

const REPO = "test/tiny";
let workDir = "";
let image: TinyImage;

before(async () => {
  requireTool("skopeo");
  workDir = await mkdtemp(join(tmpdir(), "airlock-harness-test-"));
  image = await writeTinyOciLayout(join(workDir, "layout"), "v1");
});

after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

test("plain: /v2/ answers 200 without credentials; skopeo round trip", async (t) => {
  const registry = await startTimed(t, "plain");
  assert.equal(registry.url, `http://${registry.host}`);
  assert.equal((await fetch(`${registry.url}/v2/`)).status, 200);
  await assertSkopeoRoundTrip(registry);
});

test("htpasswd: Basic challenge, 200 with the test user, 401 with a wrong password", async (t) => {
  const registry = await startTimed(t, "htpasswd");
  const anonymous = await fetch(`${registry.url}/v2/`);
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get("www-authenticate") ?? "", /^Basic realm="[^"]+"/);
  const good = await fetch(`${registry.url}/v2/`, {
    headers: basicAuth(registry.username, registry.password),
  });
  assert.equal(good.status, 200);
  const bad = await fetch(`${registry.url}/v2/`, { headers: basicAuth(registry.username, "wrong") });
  assert.equal(bad.status, 401);
  await assertSkopeoRoundTrip(registry);
});

test("tls: 200 when the test CA is trusted, refused otherwise; skopeo via --cert-dir", async (t) => {
  const registry = await startTimed(t, "tls");
  assert.equal(registry.url, `https://${registry.host}`);
  assert.ok(registry.caFile !== undefined && registry.certDir !== undefined);
  const agent = new Agent({ connect: { ca: await readFile(registry.caFile) } });
  t.after(() => agent.close());
  assert.equal((await undiciFetch(`${registry.url}/v2/`, { dispatcher: agent })).status, 200);
  await assert.rejects(fetch(`${registry.url}/v2/`), "the system trust store must not know the test CA");
  assert.equal((await fetch(`http://${registry.host}/v2/`)).status, 400, "plain HTTP to the TLS port");
  await assertSkopeoRoundTrip(registry);
});

test("token: Bearer challenge from the issuer; user tokens open /v2/ and the catalog", async (t) => {
  const registry = await startTimed(t, "token");
  const challenge = parseBearerChallenge(await fetch(`${registry.url}/v2/`));
  assert.match(challenge.realm, /^http:\/\/127\.0\.0\.1:\d+\/token$/);
  const userAuth = basicAuth(registry.username, registry.password);
  const token = await fetchToken(challenge, ["registry:catalog:*"], userAuth);
  assert.equal((await fetch(`${registry.url}/v2/`, { headers: bearer(token) })).status, 200);
  assert.equal((await fetch(`${registry.url}/v2/_catalog`, { headers: bearer(token) })).status, 200);
  const forged = `${token.slice(0, token.lastIndexOf(".") + 1)}${"A".repeat(86)}`;
  assert.equal((await fetch(`${registry.url}/v2/`, { headers: bearer(forged) })).status, 401);
  const wrong = await tokenResponse(challenge, [], basicAuth(registry.username, "wrong"));
  assert.equal(wrong.status, 401);
  assert.ok(Array.isArray(((await wrong.json()) as { errors?: unknown }).errors));
});

test("token: anonymous tokens pull but never list the catalog; skopeo round trip", async (t) => {
  const registry = await startTimed(t, "token");
  await assertSkopeoRoundTrip(registry);
  const challenge = parseBearerChallenge(await fetch(`${registry.url}/v2/`));
  const catalogToken = await fetchToken(challenge, ["registry:catalog:*"], {});
  assert.equal((await fetch(`${registry.url}/v2/_catalog`, { headers: bearer(catalogToken) })).status, 401);
  const pullToken = await fetchToken(challenge, [`repository:${REPO}:pull,push`], {});
  const tags = await fetch(`${registry.url}/v2/${REPO}/tags/list`, { headers: bearer(pullToken) });
  assert.equal(tags.status, 200);
  const upload = await fetch(`${registry.url}/v2/${REPO}/blobs/uploads/`, {
    method: "POST",
    headers: bearer(pullToken),
  });
  assert.equal(upload.status, 401, "anonymous callers get pull, never push");
  const pushed = registry.tokenRequests?.find(
    (r) => r.authorized && r.scopes.some((s) => s.includes("push")),
  );
  assert.ok(pushed, `skopeo asked for push with credentials: ${JSON.stringify(registry.tokenRequests)}`);
  assert.equal(pushed.account, registry.username);
  assert.ok(registry.tokenRequests?.some((r) => !r.authorized && r.status === 200));
});

test("token: OAuth2 POST password grant returns a refresh token that works", async (t) => {
  const registry = await startTimed(t, "token");
  const challenge = parseBearerChallenge(await fetch(`${registry.url}/v2/`));
  const withoutPassword = { grant_type: "password", username: registry.username ?? "" };
  await assert.rejects(postToken(challenge, withoutPassword), /answered 401/);
  const granted = await postToken(challenge, {
    grant_type: "password",
    username: registry.username ?? "",
    password: registry.password ?? "",
  });
  assert.equal(typeof granted.refresh_token, "string");
  const refreshed = await postToken(challenge, {
    grant_type: "refresh_token",
    refresh_token: granted.refresh_token ?? "",
  });
  assert.equal(
    (await fetch(`${registry.url}/v2/_catalog`, { headers: bearer(refreshed.token) })).status,
    200,
  );
});

test("storage options: copyStorageFrom carries images over; deleteEnabled allows DELETE", async (t) => {
  const source = await startTimed(t, "plain");
  await assertSkopeoRoundTrip(source);
  const copy = await startRegistry("plain", { copyStorageFrom: source.storageDir, deleteEnabled: true });
  t.after(() => copy.stop());
  assert.notEqual(copy.storageDir, source.storageDir);
  assert.deepEqual(await listTags(copy), ["v1"]);
  const manifestUrl = (registry: TestRegistry): string =>
    `${registry.url}/v2/${REPO}/manifests/${image.manifestDigest}`;
  // Distribution 2.8 answers 404 for an OCI manifest unless Accept names its media type.
  const accept = { Accept: "application/vnd.oci.image.manifest.v1+json" };
  assert.equal((await fetch(manifestUrl(copy), { headers: accept })).status, 200);
  assert.equal((await fetch(manifestUrl(source), { method: "DELETE" })).status, 405);
  assert.equal((await fetch(manifestUrl(copy), { method: "DELETE" })).status, 202);
  assert.equal((await fetch(manifestUrl(copy), { headers: accept })).status, 404);
  assert.equal((await fetch(manifestUrl(source), { headers: accept })).status, 200, "source untouched");
});

test("stop() is idempotent and removes the temp dirs", async () => {
  const registry = await startRegistry("token");
  await Promise.all([registry.stop(), registry.stop()]);
  await registry.stop();
  await assert.rejects(readFile(join(registry.storageDir, "..", "config.yml")), { code: "ENOENT" });
  await assert.rejects(fetch(`${registry.url}/v2/`));
});

async function startTimed(t: TestContext, variant: RegistryVariant): Promise<TestRegistry> {
  const started = performance.now();
  const registry = await startRegistry(variant);
  t.after(() => registry.stop());
  t.diagnostic(`${variant} registry started in ${Math.round(performance.now() - started)} ms`);
  return registry;
}

/** Pushes the tiny image, reads the manifest back raw, lists tags, and pulls it into a new layout. */
async function assertSkopeoRoundTrip(registry: TestRegistry): Promise<void> {
  const remote = `docker://${registry.host}/${REPO}:${image.tag}`;
  const copyArgs = ["--insecure-policy", "copy", "--quiet"];
  await runSkopeo([
    ...copyArgs,
    ...registry.skopeoDestFlags(),
    `oci:${image.layoutDir}:${image.tag}`,
    remote,
  ]);
  const raw = await runSkopeo(["inspect", "--raw", ...registry.skopeoFlags(), remote]);
  assert.deepEqual(raw.stdout, image.manifest, "the registry serves the pushed manifest bytes");
  assert.deepEqual(await listTags(registry), [image.tag]);
  const pulled = join(workDir, `pulled-${registry.variant}-${registry.host.replace(":", "-")}`);
  await runSkopeo([...copyArgs, ...registry.skopeoSrcFlags(), remote, `oci:${pulled}:${image.tag}`]);
  const index = JSON.parse(await readFile(join(pulled, "index.json"), "utf8")) as IndexJson;
  assert.equal(index.manifests[0]?.digest, image.manifestDigest);
}

interface IndexJson {
  manifests: { digest: string }[];
}

async function listTags(registry: TestRegistry): Promise<string[]> {
  const result = await runSkopeo([
    "list-tags",
    ...registry.skopeoFlags(),
    `docker://${registry.host}/${REPO}`,
  ]);
  return (JSON.parse(result.stdout.toString("utf8")) as { Tags: string[] }).Tags;
}

interface BearerChallenge {
  realm: string;
  service: string;
}

function parseBearerChallenge(response: Response): BearerChallenge {
  assert.equal(response.status, 401);
  const header = response.headers.get("www-authenticate") ?? "";
  assert.match(header, /^Bearer /);
  const realm = /realm="([^"]+)"/.exec(header)?.[1];
  const service = /service="([^"]+)"/.exec(header)?.[1];
  assert.ok(realm !== undefined && service !== undefined, `challenge has realm and service: ${header}`);
  return { realm, service };
}

function tokenResponse(
  challenge: BearerChallenge,
  scopes: string[],
  headers: Record<string, string>,
): Promise<Response> {
  const url = new URL(challenge.realm);
  url.searchParams.set("service", challenge.service);
  for (const scope of scopes) url.searchParams.append("scope", scope);
  return fetch(url, { headers });
}

async function fetchToken(
  challenge: BearerChallenge,
  scopes: string[],
  headers: Record<string, string>,
): Promise<string> {
  const response = await tokenResponse(challenge, scopes, headers);
  assert.equal(response.status, 200);
  const body = (await response.json()) as TokenBody;
  assert.equal(body.access_token, body.token);
  assert.ok(!Number.isNaN(Date.parse(body.issued_at)), "issued_at is an RFC 3339 string");
  return body.token;
}

interface TokenBody {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
  refresh_token?: string;
}

async function postToken(challenge: BearerChallenge, fields: Record<string, string>): Promise<TokenBody> {
  const form = new URLSearchParams({ ...fields, service: challenge.service, scope: "registry:catalog:*" });
  const response = await fetch(challenge.realm, { method: "POST", body: form });
  if (response.status !== 200) throw new Error(`token POST answered ${response.status}`);
  return (await response.json()) as TokenBody;
}

function basicAuth(username = "", password = ""): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` };
}

function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}
