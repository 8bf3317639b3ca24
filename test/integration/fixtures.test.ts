/**
 * The seeded fixture registry, read back by skopeo: every tag serves exactly
 * the recorded manifest bytes, every platform child and config is there under
 * its recorded digest, and an auth variant started from the same storage
 * serves the same bytes.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sha256Digest } from "../../src/oci/digest.js";
import { MediaType } from "../../src/oci/media-types.js";
import { seededStorage, startSeededRegistry, type FixtureSet } from "../harness/fixtures.js";
import type { TestRegistry } from "../harness/registry.js";
import { requireTool, runSkopeo } from "../harness/tools.js";

async function inspectRaw(registry: TestRegistry, ref: string, config = false): Promise<Buffer> {
  const args = ["inspect", "--raw", ...(config ? ["--config"] : []), ...registry.skopeoFlags()];
  const { stdout } = await runSkopeo([...args, `docker://${registry.host}/${ref}`]);
  return stdout;
}

async function assertServesEveryTag(registry: TestRegistry, fixtures: FixtureSet): Promise<void> {
  for (const image of fixtures.images) {
    const raw = await inspectRaw(registry, `${image.name}:${image.tag}`);
    assert.ok(raw.equals(image.bytes), `${image.name}:${image.tag} bytes differ`);
    assert.equal(sha256Digest(raw), image.digest);
    assert.equal(raw.length, image.size);
  }
}

describe("seeded fixture registry (plain)", () => {
  let registry: TestRegistry;
  let fixtures: FixtureSet;

  before(async () => {
    requireTool("skopeo");
    ({ registry, fixtures } = await startSeededRegistry("plain"));
  });
  after(() => registry.stop());

  it("serves every fixture tag with exactly the recorded bytes", async () => {
    assert.equal(fixtures.images.length, 13);
    await assertServesEveryTag(registry, fixtures);
  });

  it("serves every platform child and its config by the recorded digest", async () => {
    for (const image of fixtures.images) {
      for (const child of image.platforms) {
        const where = `${image.name}:${image.tag} ${child.platform}`;
        const raw = await inspectRaw(registry, `${image.name}@${child.digest}`);
        assert.equal(sha256Digest(raw), child.digest, where);
        assert.equal(raw.length, child.size, where);
        const config = await inspectRaw(registry, `${image.name}@${child.digest}`, true);
        assert.equal(sha256Digest(config), child.configDigest, where);
      }
    }
  });

  it("serves every layer blob with its recorded size", async () => {
    for (const image of fixtures.images) {
      for (const layer of image.platforms.flatMap((child) => child.layers)) {
        const res = await fetch(`${registry.url}/v2/${image.name}/blobs/${layer.digest}`, { method: "HEAD" });
        assert.equal(res.status, 200, `${image.name} ${layer.digest}`);
        assert.equal(res.headers.get("content-length"), String(layer.size));
      }
    }
  });

  it("holds the kinds of manifest each fixture promises", () => {
    const kind = (ref: string) => fixtures.byRef(ref).mediaType;
    assert.equal(kind("fixtures/multi-oci:v1"), MediaType.OciIndex);
    assert.equal(kind("fixtures/multi-docker:v1"), MediaType.DockerManifestList);
    assert.equal(kind("fixtures/single-docker:v1"), MediaType.DockerManifest);
    assert.equal(
      fixtures.byRef("fixtures/single-oci:latest").digest,
      fixtures.byRef("fixtures/single-oci:v1").digest,
    );
    const converted = fixtures.byRef("skopeo/converted:v1");
    assert.deepEqual([converted.mediaType, converted.pushedBy], [MediaType.DockerManifest, "skopeo"]);
    assert.equal(fixtures.byRef("skopeo/multi-oci:v1").pushedBy, "skopeo");
    const v1 = fixtures.byRef("fixtures/multi-oci:v1").platforms[0];
    const v2 = fixtures.byRef("fixtures/multi-oci:v2").platforms[0];
    assert.equal(v1?.layers[0]?.digest, v2?.layers[0]?.digest, "v1 and v2 share the base layer");
    assert.notEqual(v1?.layers[1]?.digest, v2?.layers[1]?.digest, "v2 has its own app layer");
    assert.throws(() => fixtures.byRef("fixtures/nope:v1"));
  });

  it("lists the tags of fixtures/tags", async () => {
    const args = ["list-tags", ...registry.skopeoFlags(), `docker://${registry.host}/fixtures/tags`];
    const { Tags } = JSON.parse((await runSkopeo(args)).stdout.toString("utf8")) as { Tags: string[] };
    assert.deepEqual(Tags.sort(), ["1.0.0", "1.1.0", "1.2.0", "2.0.0", "latest"]);
  });

  it("seeds once per process", async () => {
    const first = await seededStorage();
    assert.equal(await seededStorage(), first);
    assert.equal(first.fixtures, fixtures);
  });
});

describe("seeded fixture registry (htpasswd)", () => {
  let registry: TestRegistry;
  let fixtures: FixtureSet;

  before(async () => {
    ({ registry, fixtures } = await startSeededRegistry("htpasswd"));
  });
  after(() => registry.stop());

  it("serves the same bytes to skopeo with the variant's credentials", async () => {
    assert.ok(registry.skopeoFlags().includes("--creds"));
    await assertServesEveryTag(registry, fixtures);
  });

  it("refuses anonymous reads", async () => {
    const res = await fetch(`${registry.url}/v2/fixtures/multi-oci/manifests/v1`);
    assert.equal(res.status, 401);
  });
});
