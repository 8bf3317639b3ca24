// A site with no registry: the bundle itself loads into containerd (`ctr images import`, names
// from io.containerd.image.name, filtered images for a carried platform), and one image of it
// becomes what `docker load` reads with `airlock copy bundle:FILE:REF docker-archive:OUT:REF`.
// No Docker daemon runs on the test machines: the docker archive is checked with skopeo.
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeBundle } from "../harness/bundles.js";
import { runAirlock } from "../harness/cli.js";
import { startContainerd, type TestContainerd } from "../harness/containerd.js";
import { startSeededRegistry, type FixtureSet } from "../harness/fixtures.js";
import type { TestRegistry } from "../harness/registry.js";
import { runSkopeo, runTool } from "../harness/tools.js";

const NAMES = ["docker.io/fixtures/multi-oci:v1", "ghcr.io/fixtures/single-oci:v1"];

describe("loading a bundle without a registry", () => {
  let upstream: TestRegistry;
  let fixtures: FixtureSet;
  let bundle: string;
  let work: string;

  before(async () => {
    ({ registry: upstream, fixtures } = await startSeededRegistry("plain"));
    work = await mkdtemp(join(tmpdir(), "airlock-load-"));
    const made = await makeBundle(`registries:
  docker.io: { mirror: "${upstream.host}" }
  ghcr.io: { mirror: "${upstream.host}" }
images:
${NAMES.map((n) => `  - ${n}`).join("\n")}
`);
    bundle = made.bundle;
    await upstream.stop();
  });
  after(async () => upstream.stop());

  describe("containerd", () => {
    let containerd: TestContainerd;
    before(async () => (containerd = await startContainerd()));
    after(async () => containerd.stop());

    it("ctr images import takes the bundle as it is, under the original names, the filtered image included", async () => {
      const args = ["images", "import", "--snapshotter", "native", "--platform", "linux/amd64", bundle];
      await containerd.ctr(args);
      const listed = (await containerd.ctr(["images", "ls", "-q"])).stdout.toString().split("\n");
      for (const name of NAMES) assert.ok(listed.includes(name), `${name} in ${listed.join(", ")}`);
      // The image record keeps the upstream index digest: digest pins hold.
      const multi = fixtures.byRef("fixtures/multi-oci:v1").digest;
      const table = (await containerd.ctr(["images", "ls"])).stdout.toString();
      assert.match(table, new RegExp(`docker\\.io/fixtures/multi-oci:v1\\s+\\S+\\s+${multi}`));
    });
  });

  it("airlock copy bundle:FILE:REF docker-archive:OUT:REF writes what docker load reads, named REF", async () => {
    for (const name of NAMES) {
      const out = join(work, `${name.replace(/[/:]/g, "_")}.tar`);
      const res = await runAirlock(["copy", `bundle:${bundle}:${name}`, `docker-archive:${out}:${name}`]);
      assert.equal(res.code, 0, res.stderr);
      const info = JSON.parse((await runSkopeo(["inspect", `docker-archive:${out}`])).stdout.toString()) as {
        Architecture: string;
      };
      assert.equal(info.Architecture, "amd64", "the filtered image gives its carried platform");
      const manifest = JSON.parse(
        (await runTool("tar", ["-xOf", out, "manifest.json"])).stdout.toString(),
      ) as {
        RepoTags: string[];
      }[];
      assert.deepEqual(
        manifest.map((m) => m.RepoTags),
        [[name]],
      );
      await runSkopeo(["copy", `docker-archive:${out}`, `oci:${join(work, "check")}:x`]);
    }
  });
});
