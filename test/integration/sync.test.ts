import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { syncCommand } from "../../src/cli/commands/sync.js";
import { getManifest } from "../../src/verbs/read.js";
import { hostPlatform } from "../../src/verbs/resolve.js";
import { formatPlatform } from "../../src/oci/platform.js";
import { runCommand } from "../harness/command-runner.js";
import { startSeededRegistry, type FixtureSet } from "../harness/fixtures.js";
import type { TestRegistry } from "../harness/registry.js";

describe("sync from a skopeo sync YAML", () => {
  let registry: TestRegistry;
  let fixtures: FixtureSet;
  let file: string;

  before(async () => {
    ({ registry, fixtures } = await startSeededRegistry("plain"));
    const dir = await mkdtemp(join(tmpdir(), "airlock-sync-"));
    file = join(dir, "sync.yaml");
    await writeFile(
      file,
      `${registry.host}:
  tls-verify: false
  images:
    fixtures/single-oci: [v1]
    fixtures/multi-oci: [v1, v2]
  images-by-tag-regex:
    fixtures/tags: ^1\\.
`,
    );
  });
  after(() => registry.stop());

  it("copies every image concurrently under DEST/PREFIX, this machine's platform by default", async () => {
    const res = await runCommand(syncCommand, ["--src", "yaml", file, "--dest", `${registry.host}/mirror`]);
    assert.equal(res.code, 0, res.stderr);
    const lines = res.stdout.toString().trim().split("\n");
    assert.equal(lines.length, 6);
    const here = formatPlatform(hostPlatform());
    const multi = fixtures.byRef("fixtures/multi-oci:v2");
    const child = multi.platforms.find((p) => p.platform === here || p.platform.startsWith(`${here}/`));
    assert.equal((await getManifest(`${registry.host}/mirror/multi-oci:v2`)).digest, child?.digest);
    for (const tag of ["1.0.0", "1.1.0", "1.2.0"]) {
      const want = fixtures.byRef(`fixtures/tags:${tag}`).digest;
      assert.equal((await getManifest(`${registry.host}/mirror/tags:${tag}`)).digest, want);
    }
  });

  it("--all keeps indexes; skopeo's --dest docker form works; --scoped keeps the host", async () => {
    const scoped = await runCommand(syncCommand, [
      "--src",
      "yaml",
      file,
      "--dest",
      registry.host,
      "--scoped",
    ]);
    assert.equal(scoped.code, 2, "a host with a port is no repository path component");
    const res = await runCommand(syncCommand, [
      "--src",
      "yaml",
      "--dest",
      "docker",
      "--all",
      file,
      `${registry.host}/all`,
    ]);
    assert.equal(res.code, 0, res.stderr);
    const multi = fixtures.byRef("fixtures/multi-oci:v1");
    const got = await getManifest(`${registry.host}/all/multi-oci:v1`);
    assert.equal(got.digest, multi.digest);
  });

  it("tries every image and lists the failures", async () => {
    const bad = join(file, "..", "bad.yaml");
    await writeFile(
      bad,
      `${registry.host}:\n  tls-verify: false\n  images:\n    fixtures/single-oci: [v1, nope]\n`,
    );
    const res = await runCommand(syncCommand, ["--src", "yaml", bad, "--dest", `${registry.host}/partial`]);
    assert.equal(res.code, 3, res.stderr);
    assert.match(res.stderr, /1 of 2 images failed/);
    assert.equal(
      (await getManifest(`${registry.host}/partial/single-oci:v1`)).digest,
      fixtures.byRef("fixtures/single-oci:v1").digest,
    );
  });
});
