/** The copy, pull, push, tag and delete commands against a real registry, and their bad input. */
import assert from "node:assert/strict";
import { mkdtemp, readdir, writeFile, readFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { copyCommand, pullCommand, pushCommand } from "../../src/cli/commands/copy.js";
import { deleteCommand, tagCommand } from "../../src/cli/commands/tag-delete.js";
import { sha256Digest } from "../../src/oci/digest.js";
import { getManifest } from "../../src/verbs/read.js";
import { isOneCleanLine } from "../harness/cli.js";
import { runCommand } from "../harness/command-runner.js";
import { startSeededRegistry, type FixtureSet } from "../harness/fixtures.js";
import type { TestRegistry } from "../harness/registry.js";
import { runSkopeo, runTool } from "../harness/tools.js";

describe("copy, pull, push, tag, delete (CLI)", () => {
  let registry: TestRegistry;
  let fixtures: FixtureSet;
  let dir: string;

  before(async () => {
    ({ registry, fixtures } = await startSeededRegistry("plain", { deleteEnabled: true }));
    dir = await mkdtemp(join(tmpdir(), "airlock-cli-copy-"));
  });
  after(() => registry.stop());

  const ref = (path: string): string => `${registry.host}/${path}`;

  it("cp copies registry to registry and prints the digest; the blobs are mounted", async () => {
    const image = fixtures.byRef("fixtures/multi-oci:v1");
    const res = await runCommand(copyCommand, [
      "--all",
      ref("fixtures/multi-oci:v1"),
      ref("copies/multi:v1"),
    ]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.toString(), `${image.digest}\n`);
    assert.equal((await getManifest(ref("copies/multi:v1"))).digest, image.digest);
    assert.match(registry.logs(), /mount=sha256/);
    const one = await runCommand(copyCommand, [
      "--platform",
      "linux/arm64",
      "-q",
      ref("fixtures/multi-oci:v1"),
      ref("copies/arm:v1"),
    ]);
    assert.equal(
      one.stdout.toString().trim(),
      image.platforms.find((p) => p.platform === "linux/arm64/v8")?.digest,
    );
  });

  it("pull writes a docker-archive skopeo reads and an oci-archive that keeps digests; push brings them back", async () => {
    const image = fixtures.byRef("fixtures/single-docker:v1");
    const tarball = join(dir, "single.tar");
    const res = await runCommand(pullCommand, [ref("fixtures/single-docker:v1"), tarball]);
    assert.equal(res.code, 0, res.stderr);
    const manifest = JSON.parse(
      (await runTool("tar", ["-xOf", tarball, "manifest.json"])).stdout.toString(),
    ) as {
      Config: string;
      RepoTags: string[];
      Layers: string[];
    }[];
    assert.deepEqual(manifest[0]?.RepoTags, [ref("fixtures/single-docker:v1")]);
    assert.equal(manifest[0]?.Config, `${image.platforms[0]?.configDigest.slice(7)}.json`);
    assert.equal(manifest[0]?.Layers.length, image.platforms[0]?.layers.length);
    const inspected = JSON.parse(
      (await runSkopeo(["inspect", `docker-archive:${tarball}`])).stdout.toString(),
    ) as {
      RepoTags: string[];
    };
    assert.ok(inspected.RepoTags.length >= 0);
    const pushed = await runCommand(pushCommand, [tarball, ref("pushed/docker:v1")]);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.equal(pushed.stdout.toString().trim(), res.stdout.toString().trim());

    const multi = fixtures.byRef("fixtures/multi-oci:v2");
    const oci = join(dir, "multi.tar");
    const pulled = await runCommand(pullCommand, [
      "--format",
      "oci",
      "--all",
      ref("fixtures/multi-oci:v2"),
      oci,
    ]);
    assert.equal(pulled.stdout.toString().trim(), multi.digest);
    const raw = (await runSkopeo(["inspect", "--raw", `oci-archive:${oci}:${ref("fixtures/multi-oci:v2")}`]))
      .stdout;
    assert.equal(sha256Digest(raw), multi.digest);
    const back = await runCommand(pushCommand, [oci, ref("pushed/multi:v2")]);
    assert.equal(back.stdout.toString().trim(), multi.digest);
  });

  it("tag retags remotely; delete resolves the tag to its digest", async () => {
    const image = fixtures.byRef("fixtures/single-oci:v1");
    const res = await runCommand(tagCommand, [ref("fixtures/single-oci:v1"), "retagged"]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal((await getManifest(ref("fixtures/single-oci:retagged"))).digest, image.digest);
    await runCommand(copyCommand, [ref("fixtures/single-docker:v1"), ref("doomed/app:v1")]);
    const del = await runCommand(deleteCommand, [ref("doomed/app:v1")]);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(
      del.stdout.toString().trim(),
      `${ref("doomed/app")}@${fixtures.byRef("fixtures/single-docker:v1").digest}`,
    );
    const gone = await runCommand(deleteCommand, [ref("doomed/app:v1")]);
    assert.equal(gone.code, 3);
    const bad = await runCommand(tagCommand, [ref("fixtures/single-oci:v1"), "other/repo:x"]);
    assert.equal(bad.code, 2);
  });

  it("bad input: one clean line, a non-zero exit, nothing half-written", async () => {
    const out = join(dir, "bad");
    await mkdir(out);
    const cases: [string[], number][] = [
      [["foo:/x", `oci:${out}/a`], 2],
      [["containers-storage:x", `oci:${out}/a`], 2],
      [[`oci-archive:${join(dir, "missing.tar")}`, `oci:${out}/a`], 2],
      [[`oci-archive:${join(dir, "multi.tar")}:nope`, `oci:${out}/a`], 3],
      [[`docker-archive:${join(dir, "single.tar")}:nope:v1`, `dir:${out}/a`], 3],
      [["--preserve-digests", ref("fixtures/single-oci:v1"), `docker-archive:${out}/a.tar`], 7],
      [["--all", ref("fixtures/multi-oci:v2"), `docker-archive:${out}/a.tar`], 7],
      [
        [
          "--preserve-digests",
          "--platform",
          "linux/amd64",
          "--platform",
          "linux/arm64",
          ref("fixtures/multi-oci:v2"),
          `oci-archive:${out}/a.tar`,
        ],
        7,
      ],
      [[ref("fixtures/single-oci:v1"), `bundle:${out}/b.tar`], 2],
      [[ref("fixtures/single-oci:v1"), `oci-archive:${join(dir, "nodir", "x.tar")}`], 2],
    ];
    for (const [args, code] of cases) {
      const res = await runCommand(copyCommand, args);
      assert.equal(res.code, code, `${args.join(" ")}: ${res.stderr}`);
      assert.ok(isOneCleanLine(res.stderr), res.stderr);
    }
    assert.deepEqual(await readdir(out), []);
  });

  it("a blob that does not match its digest fails the copy and leaves no file", async () => {
    const layout = join(dir, "corrupt");
    await runSkopeo([
      "copy",
      "--quiet",
      "--src-tls-verify=false",
      `docker://${ref("fixtures/single-oci:v1")}`,
      `oci:${layout}:v1`,
    ]);
    const layer = fixtures.byRef("fixtures/single-oci:v1").platforms[0]?.layers[1];
    const file = join(layout, "blobs", "sha256", layer?.digest.slice(7) ?? "");
    const bytes = await readFile(file);
    bytes.writeUInt8((bytes.at(-1) ?? 0) ^ 1, bytes.length - 1);
    await writeFile(file, bytes);
    const out = join(dir, "after-corrupt");
    await mkdir(out);
    for (const dst of [`oci-archive:${out}/x.tar`, `docker-archive:${out}/x.tar`, `dir:${out}/d`]) {
      const res = await runCommand(copyCommand, [`oci:${layout}:v1`, dst]);
      assert.equal(res.code, 6, res.stderr);
      assert.ok(isOneCleanLine(res.stderr), res.stderr);
    }
    assert.deepEqual(await readdir(out), []);
  });

  it("delete on a registry with deletion turned off says so", async () => {
    const { registry: locked } = await startSeededRegistry("plain");
    try {
      const res = await runCommand(deleteCommand, [`${locked.host}/fixtures/single-oci:v1`]);
      assert.equal(res.code, 7, res.stderr);
      assert.ok(isOneCleanLine(res.stderr), res.stderr);
      assert.match(res.stderr, /deletion turned off/);
    } finally {
      await locked.stop();
    }
  });
});
