/**
 * copyImage between every pair of transports and back into the registry,
 * checking digests; skopeo reads what airlock wrote (oci, oci-archive,
 * docker-archive, dir) and airlock reads what skopeo wrote.
 */
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { sha256Digest } from "../../src/oci/digest.js";
import type { ImageManifest } from "../../src/oci/types.js";
import { toDockerManifest } from "../../src/store/docker-manifest.js";
import { copyImage } from "../../src/verbs/copy.js";
import { createBundle } from "../../src/verbs/create-bundle.js";
import { writeFile } from "node:fs/promises";
import { getManifest } from "../../src/verbs/read.js";
import { startSeededRegistry, type FixtureImage, type FixtureSet } from "../harness/fixtures.js";
import type { TestRegistry } from "../harness/registry.js";
import { runSkopeo } from "../harness/tools.js";

type FileTransport = "oci" | "oci-archive" | "docker-archive" | "dir";
const TRANSPORTS: FileTransport[] = ["oci", "oci-archive", "docker-archive", "dir"];

describe("copy matrix", () => {
  let registry: TestRegistry;
  let fixtures: FixtureSet;
  let dir: string;
  let n = 0;

  before(async () => {
    ({ registry, fixtures } = await startSeededRegistry("plain"));
    dir = await mkdtemp(join(tmpdir(), "airlock-copy-"));
  });
  after(() => registry.stop());

  const location = (t: FileTransport, ref = "img"): string => {
    const path = join(dir, `${t}-${n++}${t.endsWith("archive") ? ".tar" : ""}`);
    return t === "dir" ? `dir:${path}` : `${t}:${path}:${ref}`;
  };
  const reg = (path: string): string => `docker://${registry.host}/${path}`;

  /** What a fixture's single image looks like after passing through `t`. */
  const expectedDigest = (image: FixtureImage, through: FileTransport[]): string => {
    if (!through.includes("docker-archive")) return image.digest;
    return sha256Digest(toDockerManifest(image.bytes));
  };

  for (const name of ["fixtures/single-oci:v1", "fixtures/single-docker:v1"]) {
    it(`${name}: registry → A → B → registry for every pair, digests checked`, async () => {
      const image = fixtures.byRef(name);
      const firsts = new Map<FileTransport, string>();
      for (const a of TRANSPORTS) {
        const loc = location(a);
        const result = await copyImage(reg(name), loc);
        assert.equal(result.digest, expectedDigest(image, [a]), `${name} → ${a}`);
        firsts.set(a, loc);
      }
      for (const a of TRANSPORTS) {
        for (const b of TRANSPORTS) {
          const mid = location(b);
          await copyImage(firsts.get(a) ?? "", mid);
          const back = `matrix/${a}-${b}:${name.split(":")[1] ?? ""}`;
          const result = await copyImage(mid, reg(back));
          const want = expectedDigest(image, [a, b]);
          assert.equal(result.digest, want, `${name}: ${a} → ${b} → registry`);
          assert.equal((await getManifest(`${registry.host}/${back}`)).digest, want);
        }
      }
    });
  }

  it("a multi-platform OCI index: --all keeps the index through oci, oci-archive and dir", async () => {
    const image = fixtures.byRef("fixtures/multi-oci:v2");
    for (const a of ["oci", "oci-archive", "dir"] as const) {
      const loc = location(a);
      assert.equal((await copyImage(reg("fixtures/multi-oci:v2"), loc, { all: true })).digest, image.digest);
      const back = await copyImage(loc, reg(`matrix/multi-${a}:v2`), { all: true, preserveDigests: true });
      assert.equal(back.digest, image.digest);
      assert.equal(back.images, 3);
    }
  });

  it("skopeo reads what airlock wrote", async () => {
    const image = fixtures.byRef("fixtures/multi-oci:v2");
    const arm = image.platforms.find((p) => p.platform === "linux/arm/v7");
    for (const t of ["oci", "oci-archive"] as const) {
      const loc = location(t, "multi");
      await copyImage(reg("fixtures/multi-oci:v2"), loc, { all: true });
      const raw = (await runSkopeo(["inspect", "--raw", loc])).stdout;
      assert.equal(sha256Digest(raw), image.digest, t);
      const cfg = (
        await runSkopeo([
          "--override-arch",
          "arm",
          "--override-variant",
          "v7",
          "inspect",
          "--config",
          "--raw",
          loc,
        ])
      ).stdout;
      assert.equal(sha256Digest(cfg), arm?.configDigest, t);
    }
    const d = location("dir");
    await copyImage(reg("fixtures/multi-docker:v1"), d, { all: true });
    const raw = (await runSkopeo(["inspect", "--raw", d])).stdout;
    assert.equal(sha256Digest(raw), fixtures.byRef("fixtures/multi-docker:v1").digest);
    const single = fixtures.byRef("fixtures/single-oci:v1");
    const da = location("docker-archive", `${registry.host}/fixtures/single-oci:v1`);
    await copyImage(reg("fixtures/single-oci:v1"), da);
    const cfg = (await runSkopeo(["inspect", "--config", "--raw", da])).stdout;
    assert.equal(sha256Digest(cfg), single.platforms[0]?.configDigest);
    const inspected = JSON.parse((await runSkopeo(["inspect", da])).stdout.toString()) as {
      RepoTags: string[];
      Layers: string[];
    };
    assert.equal(inspected.Layers.length, single.platforms[0]?.layers.length);
  });

  it("airlock reads what skopeo wrote, with the same digests", async () => {
    const image = fixtures.byRef("fixtures/single-oci:v1");
    const src = `docker://${registry.host}/fixtures/single-oci:v1`;
    for (const t of TRANSPORTS) {
      const loc = location(t);
      const extra = t === "docker-archive" ? [] : ["--preserve-digests"];
      await runSkopeo(["copy", "--quiet", "--src-tls-verify=false", ...extra, src, loc]);
      const skopeoRaw = (await runSkopeo(["inspect", "--raw", loc])).stdout;
      const result = await copyImage(loc, reg(`from-skopeo/${t}:v1`));
      const pushed = await getManifest(`${registry.host}/from-skopeo/${t}:v1`);
      const ours = JSON.parse(pushed.bytes.toString()) as ImageManifest;
      const theirs = JSON.parse(skopeoRaw.toString()) as ImageManifest;
      assert.equal(ours.config.digest, image.platforms[0]?.configDigest, t);
      if (t === "docker-archive") {
        // skopeo wrote uncompressed layers; it calls them gzip, airlock calls them what they are.
        assert.deepEqual(
          ours.layers.map((l) => [l.digest, l.size, l.mediaType]),
          theirs.layers.map((l) => [l.digest, l.size, "application/vnd.docker.image.rootfs.diff.tar"]),
        );
      } else {
        assert.equal(result.digest, sha256Digest(skopeoRaw), t);
        assert.equal(result.digest, image.digest, t);
      }
    }
  });

  it("a bundle is a source for every transport, digests kept", async () => {
    const list = join(dir, "airlock.yaml");
    await writeFile(
      list,
      `images:\n  - ref: ${registry.host}/fixtures/multi-oci:v2\n    platforms: all\n  - ${registry.host}/fixtures/single-docker:v1\n`,
    );
    const bundle = join(dir, "bundle.tar");
    await createBundle({ file: list, output: bundle, cacheDir: join(dir, "cache") });
    const multi = fixtures.byRef("fixtures/multi-oci:v2");
    const single = fixtures.byRef("fixtures/single-docker:v1");
    for (const t of ["oci", "oci-archive", "dir"] as const) {
      const loc = location(t);
      const res = await copyImage(`bundle:${bundle}:${registry.host}/fixtures/multi-oci:v2`, loc, {
        all: true,
      });
      assert.equal(res.digest, multi.digest, t);
    }
    const da = await copyImage(
      `bundle:${bundle}:${registry.host}/fixtures/single-docker:v1`,
      location("docker-archive"),
    );
    assert.equal(da.digest, sha256Digest(toDockerManifest(single.bytes)));
    const back = await copyImage(
      `bundle:${bundle}:${registry.host}/fixtures/single-docker:v1`,
      reg("from-bundle/single:v1"),
    );
    assert.equal(back.digest, single.digest);
  });
});
