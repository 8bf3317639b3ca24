/**
 * RegistryClient.referrers against a scripted registry: the referrers API with
 * Link pages and the artifactType filter, and the fallback tag sha256-<hex>
 * when the API answers 404, 400 or 406.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, test, type TestContext } from "node:test";
import { sha256Digest } from "../../src/oci/digest.js";
import type { Descriptor } from "../../src/oci/types.js";
import type { RegistryClient } from "../../src/registry/client.js";
import { connectRegistry } from "../../src/registry/connect.js";
import { json, manifest, registryError, status } from "../harness/fault-routes.js";
import { startFaultServer, type FaultServer } from "../harness/fault-server.js";

const SUBJECT = sha256Digest(Buffer.from("subject"));
const HEX = SUBJECT.slice("sha256:".length);
const REFERRERS = new RegExp(`^/v2/x/referrers/${SUBJECT}`);

const referrer = (note: string, artifactType: string): Descriptor => ({
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: sha256Digest(Buffer.from(note)),
  size: note.length,
  artifactType,
});
const SBOM = referrer("sbom", "application/spdx+json");
const SCAN = referrer("scan", "application/vnd.example.scan+json");
const indexOf = (manifests: Descriptor[]): object => ({
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.index.v1+json",
  manifests,
});

const FALLBACK = new RegExp(`^/v2/x/manifests/sha256-${HEX}$`);
const FALLBACK_INDEX = Buffer.from(JSON.stringify(indexOf([SBOM, SCAN])));
/** The fallback tag, and the digest its HEAD answers. */
const FALLBACK_OR_DIGEST = new RegExp(`^/v2/x/manifests/(sha256-${HEX}|${sha256Digest(FALLBACK_INDEX)})$`);

let server: FaultServer;
before(async () => (server = await startFaultServer()));
after(async () => server.close());
beforeEach(() => server.reset());

async function connect(t: TestContext): Promise<RegistryClient> {
  const client = await connectRegistry(server.host, {
    plainHttp: true,
    authFile: "/nonexistent/airlock-referrers-test/auth.json",
    retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 2 },
  });
  t.after(() => client.close());
  return client;
}

test("the referrers API: every Link page, in order", async (t) => {
  server.route(
    "GET",
    REFERRERS,
    json(indexOf([SBOM]), { link: `</v2/x/referrers/${SUBJECT}?last=1>; rel="next"` }),
    json(indexOf([SCAN])),
  );
  const client = await connect(t);
  assert.deepEqual(await client.referrers("x", SUBJECT), [SBOM, SCAN]);
  assert.equal(server.requestsTo(FALLBACK).length, 0);
});

test("artifactType goes to the registry and is applied to its answer too", async (t) => {
  server.route("GET", REFERRERS, json(indexOf([SBOM, SCAN])));
  const client = await connect(t);
  assert.deepEqual(await client.referrers("x", SUBJECT, { artifactType: "application/spdx+json" }), [SBOM]);
  const [request] = server.requestsTo(REFERRERS);
  assert.match(request?.url ?? "", /\?artifactType=application%2Fspdx%2Bjson$/);
});

for (const code of [404, 400, 406]) {
  test(`${code} from the referrers API: the fallback tag's index, filtered`, async (t) => {
    server.route("GET", REFERRERS, status(code));
    const index = manifest(FALLBACK_INDEX, { mediaType: "application/vnd.oci.image.index.v1+json" });
    for (const method of ["HEAD", "GET"]) server.route(method, FALLBACK_OR_DIGEST, index);
    const client = await connect(t);
    assert.deepEqual(await client.referrers("x", SUBJECT), [SBOM, SCAN]);
    assert.deepEqual(await client.referrers("x", SUBJECT, { artifactType: SCAN.artifactType ?? "" }), [SCAN]);
  });
}

test("no referrers API and no fallback tag: no referrers", async (t) => {
  server.route("GET", REFERRERS, registryError(404, "NAME_UNKNOWN"));
  server.route("HEAD", FALLBACK, status(404));
  const client = await connect(t);
  assert.deepEqual(await client.referrers("x", SUBJECT), []);
  assert.equal(server.requestsTo(FALLBACK).length, 1, "one HEAD, no GET");
});

test("cosign's tags: the ones that exist, by suffix", async (t) => {
  const sig = Buffer.from(JSON.stringify({ schemaVersion: 2, config: SBOM, layers: [] }));
  const sigRoute = new RegExp(`^/v2/x/manifests/(sha256-${HEX}\\.sig|${sha256Digest(sig)})$`);
  for (const method of ["HEAD", "GET"]) server.route(method, sigRoute, manifest(sig));
  const client = await connect(t);
  const found = await client.cosignArtifacts("x", SUBJECT);
  assert.deepEqual(
    found.map((f) => [f.suffix, f.tag, f.manifest.digest]),
    [["sig", `sha256-${HEX}.sig`, sha256Digest(sig)]],
  );
});
