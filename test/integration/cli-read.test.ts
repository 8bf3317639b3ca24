import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { airlockFlags, runAirlock, runAirlockInProcess } from "../harness/cli.js";
import { startSeededRegistry, type FixtureImage, type FixtureSet } from "../harness/fixtures.js";
import type { RegistryVariant, TestRegistry } from "../harness/registry.js";
import { runSkopeo } from "../harness/tools.js";

const sha256 = (b: Buffer): string => "sha256:" + createHash("sha256").update(b).digest("hex");

/** The platforms airlock should be able to select, as --platform values. */
function runnablePlatforms(image: FixtureImage): FixtureImage["platforms"] {
  return image.platforms.filter((p) => !p.platform.startsWith("unknown/"));
}

const isIndex = (image: FixtureImage): boolean => /index|list/.test(image.mediaType);

for (const variant of ["plain", "htpasswd", "tls", "token"] satisfies RegistryVariant[]) {
  describe(`read verbs against docker-registry (${variant})`, () => {
    let registry: TestRegistry;
    let fixtures: FixtureSet;
    let flags: string[];

    before(async () => {
      ({ registry, fixtures } = await startSeededRegistry(variant));
      flags = await airlockFlags(registry);
    });
    after(async () => registry.stop());

    const airlock = async (...args: string[]): Promise<Buffer> => {
      const res = await runAirlockInProcess([...args, ...flags]);
      assert.equal(res.code, 0, `airlock ${args.join(" ")}: ${res.stderr}`);
      return res.stdout;
    };
    const skopeoRaw = async (ref: string): Promise<Buffer> =>
      (await runSkopeo(["inspect", "--raw", ...registry.skopeoFlags(), `docker://${ref}`])).stdout;

    it("the airlock binary prints the same manifest and digest as skopeo", async () => {
      const image = fixtures.byRef("fixtures/multi-docker:v1");
      const ref = `${registry.host}/${image.name}:${image.tag}`;
      const raw = await skopeoRaw(ref);
      const manifest = await runAirlock(["manifest", ref, ...flags]);
      assert.equal(manifest.code, 0, manifest.stderr);
      assert.ok(manifest.stdout.equals(raw));
      const digest = await runAirlock(["digest", "--platform", "linux/arm64", ref, ...flags]);
      assert.equal(digest.stdout.toString(), `${image.platforms[1]?.digest}\n`);
    });

    it("manifest and digest equal skopeo's, by tag and by digest, for every fixture", async () => {
      await Promise.all(
        fixtures.images.map(async (image) => {
          const byTag = `${registry.host}/${image.name}:${image.tag}`;
          const byDigest = `${registry.host}/${image.name}@${image.digest}`;
          const raw = await skopeoRaw(byTag);
          assert.ok((await airlock("manifest", byTag)).equals(raw), `manifest ${byTag}`);
          assert.equal((await airlock("digest", byTag)).toString().trim(), sha256(raw));
          assert.ok((await airlock("manifest", byDigest)).equals(raw), `manifest ${byDigest}`);
          assert.equal((await airlock("digest", byDigest)).toString().trim(), image.digest);
        }),
      );
    });

    it("--platform answers with each platform's manifest, as skopeo reads it by digest", async () => {
      const indexes = fixtures.images.filter(isIndex);
      assert.ok(
        indexes.some((i) => i.mediaType.includes("docker")) &&
          indexes.some((i) => i.mediaType.includes("oci")),
      );
      await Promise.all(
        indexes.flatMap((image) =>
          runnablePlatforms(image).map(async (p) => {
            const ref = `${registry.host}/${image.name}:${image.tag}`;
            const raw = await skopeoRaw(`${registry.host}/${image.name}@${p.digest}`);
            assert.ok(
              (await airlock("manifest", "--platform", p.platform, ref)).equals(raw),
              `${ref} ${p.platform}`,
            );
            assert.equal(
              (await airlock("digest", "--platform", p.platform, ref)).toString().trim(),
              p.digest,
            );
            const byDigest = `${registry.host}/${image.name}@${image.digest}`;
            assert.equal(
              (await airlock("digest", "--platform", p.platform, byDigest)).toString().trim(),
              p.digest,
            );
          }),
        ),
      );
    });

    it("a single image answers itself for its own platform", async () => {
      const image = fixtures.byRef("fixtures/single-docker:v1");
      const ref = `${registry.host}/${image.name}:${image.tag}`;
      assert.equal(
        (await airlock("digest", "--platform", "linux/amd64", ref)).toString().trim(),
        image.digest,
      );
    });

    it("ls matches skopeo list-tags; catalog lists every fixture repository", async () => {
      const repo = `${registry.host}/fixtures/tags`;
      const skopeo = JSON.parse(
        (await runSkopeo(["list-tags", ...registry.skopeoFlags(), `docker://${repo}`])).stdout.toString(),
      ) as { Tags: string[] };
      const tags = (await airlock("ls", repo)).toString().trim().split("\n");
      assert.deepEqual([...tags].sort(), [...skopeo.Tags].sort());
      const catalog = (await airlock("catalog", registry.host)).toString().trim().split("\n");
      const names = [...new Set(fixtures.images.map((i) => i.name))].sort();
      assert.deepEqual(catalog.filter((n) => names.includes(n)).sort(), names);
    });

    it("config and blob stream verified bytes with the recorded digests", async () => {
      const image = fixtures.byRef("fixtures/multi-oci:v1");
      const ref = `${registry.host}/${image.name}:${image.tag}`;
      for (const p of runnablePlatforms(image)) {
        assert.equal(sha256(await airlock("config", "--platform", p.platform, ref)), p.configDigest);
        const layer = p.layers.at(-1);
        assert.ok(layer);
        const blob = await airlock("blob", `${registry.host}/${image.name}@${layer.digest}`);
        assert.equal(blob.length, layer.size);
        assert.equal(sha256(blob), layer.digest);
      }
    });

    it("inspect agrees with skopeo inspect", async () => {
      for (const name of ["fixtures/single-oci:v1", "skopeo/converted:v1", "fixtures/multi-docker:v1"]) {
        const ref = `${registry.host}/${name}`;
        const ours = JSON.parse((await airlock("inspect", ref)).toString()) as Record<string, unknown>;
        const theirs = JSON.parse(
          (await runSkopeo(["inspect", ...registry.skopeoFlags(), `docker://${ref}`])).stdout.toString(),
        ) as Record<string, unknown>;
        // skopeo 1.9 (Debian's) has no LayersData yet; newer ones match ours.
        for (const field of ["Name", "Digest", "Architecture", "Os", "Layers", "Env", "Labels"]) {
          assert.deepEqual(ours[field], theirs[field], `${name}: ${field}`);
        }
        assert.deepEqual((ours.RepoTags as string[]).sort(), (theirs.RepoTags as string[]).sort());
      }
    });
  });
}
