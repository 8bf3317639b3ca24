// The package used as a library, imported by its name as a user would.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  copyImage,
  connectRegistry,
  getDigest,
  getManifest,
  inspectImage,
  isAirlockError,
  listTags,
  parseManifest,
} from "airlock";
import { startSeededRegistry, type FixtureSet } from "../harness/fixtures.js";
import type { TestRegistry } from "../harness/registry.js";

describe("airlock as a library (token auth registry)", () => {
  let registry: TestRegistry;
  let fixtures: FixtureSet;
  let credential: { username: string; password: string };

  before(async () => {
    ({ registry, fixtures } = await startSeededRegistry("token"));
    credential = { username: registry.username ?? "", password: registry.password ?? "" };
  });
  after(async () => registry.stop());

  it("an aborted call rejects with AirlockError ERR_ABORTED, before it starts and mid-way", async () => {
    const image = fixtures.byRef("fixtures/multi-oci:v1");
    const ref = `${registry.host}/${image.name}:${image.tag}`;
    const aborted = AbortSignal.abort();
    await assert.rejects(listTags(`${registry.host}/${image.name}`, { credential, signal: aborted }), {
      name: "AirlockError",
      code: "ERR_ABORTED",
    });
    const controller = new AbortController();
    const dir = await mkdtemp(join(tmpdir(), "airlock-abort-"));
    const copy = copyImage(`docker://${ref}`, `oci:${join(dir, "layout")}:v1`, {
      credential,
      all: true,
      signal: controller.signal,
      onEvent: () => controller.abort(),
    });
    await assert.rejects(copy, { name: "AirlockError", code: "ERR_ABORTED" });
  });

  it("resolves digests and manifests with typed results", async () => {
    const image = fixtures.byRef("fixtures/multi-oci:v1");
    const ref = `${registry.host}/${image.name}:${image.tag}`;
    assert.equal(await getDigest(ref, { credential }), image.digest);
    const arm = await getManifest(ref, { credential, platform: "linux/arm/v7" });
    assert.equal(arm.digest, image.platforms.find((p) => p.platform === "linux/arm/v7")?.digest);
    const parsed = parseManifest(arm.bytes, arm.mediaType);
    assert.equal(parsed.kind, "image");
    const summary = await inspectImage(ref, { credential, platform: "linux/arm64" });
    assert.equal(summary.Architecture, "arm64");
    assert.deepEqual((await listTags(`${registry.host}/fixtures/tags`, { credential })).sort(), [
      "1.0.0",
      "1.1.0",
      "1.2.0",
      "2.0.0",
      "latest",
    ]);
  });

  it("exposes the registry client with noun-first methods and coded errors", async () => {
    const client = await connectRegistry(registry.host, { credential });
    try {
      const image = fixtures.byRef("fixtures/single-oci:v1");
      const head = await client.manifestHead(image.name, image.tag);
      assert.equal(head?.digest, image.digest);
      const layer = image.platforms[0]?.layers[0];
      assert.ok(layer);
      assert.equal(await client.blobHead(image.name, layer.digest), layer.size);
      await assert.rejects(client.manifestGet(image.name, "no-such-tag"), (err: unknown) => {
        return isAirlockError(err) && err.code === "ERR_NOT_FOUND";
      });
    } finally {
      await client.close();
    }
  });

  it("authenticates with an identity token (OAuth2 refresh_token POST), as docker config.json identitytoken", async () => {
    const challenge = (await fetch(`${registry.url}/v2/`)).headers.get("www-authenticate") ?? "";
    const realm = /realm="([^"]+)"/.exec(challenge)?.[1] ?? "";
    const service = /service="([^"]+)"/.exec(challenge)?.[1] ?? "";
    const form = new URLSearchParams({
      grant_type: "password",
      username: credential.username,
      password: credential.password,
      service,
      client_id: "airlock-test",
    });
    const grant = (await (await fetch(realm, { method: "POST", body: form })).json()) as {
      refresh_token?: string;
    };
    assert.ok(grant.refresh_token);
    const before = registry.tokenRequests?.length ?? 0;
    const image = fixtures.byRef("fixtures/single-oci:v1");
    const ref = `${registry.host}/${image.name}:${image.tag}`;
    assert.equal(await getDigest(ref, { credential: { identityToken: grant.refresh_token } }), image.digest);
    const used = registry.tokenRequests?.slice(before) ?? [];
    assert.ok(
      used.some((r) => r.method === "POST" && r.authorized),
      JSON.stringify(used),
    );
    await assert.rejects(
      getDigest(`${registry.host}/fixtures/tags:1.0.0`, { credential: { identityToken: "forged" } }),
      {
        code: "ERR_AUTH",
      },
    );
  });
});
