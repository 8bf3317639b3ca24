/** append, mutate, flatten and rebase push images skopeo inspects with the changes made. */
import assert from "node:assert/strict";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  appendCommand,
  flattenCommand,
  mutateCommand,
  rebaseCommand,
} from "../../src/cli/commands/mutate.js";
import type { ImageConfig, ImageManifest } from "../../src/oci/types.js";
import { exportImage } from "../../src/verbs/export.js";
import { runCommand } from "../harness/command-runner.js";
import { pushNode } from "../harness/fixture-push.js";
import { buildImage, buildLayer, buildTar } from "../harness/image-builder.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";
import { runSkopeo, runTool } from "../harness/tools.js";
import { buildWhiteoutImage, tree } from "../harness/whiteout-image.js";

describe("mutations", () => {
  let registry: TestRegistry;
  let dir: string;
  const ref = (path: string): string => `${registry.host}/${path}`;

  const inspect = async (r: string, what: "--config" | "--raw"): Promise<unknown> =>
    JSON.parse((await runSkopeo(["inspect", what, "--tls-verify=false", `docker://${r}`])).stdout.toString());
  const config = async (r: string): Promise<ImageConfig> => (await inspect(r, "--config")) as ImageConfig;
  const manifest = async (r: string): Promise<ImageManifest> => (await inspect(r, "--raw")) as ImageManifest;
  const unpack = async (r: string, name: string): Promise<Map<string, string>> => {
    const file = join(dir, `${name}.tar`);
    await exportImage(r, createWriteStream(file));
    await mkdir(join(dir, name));
    await runTool("tar", ["-xf", file, "-C", join(dir, name), "--no-same-owner"]);
    return await tree(join(dir, name));
  };

  before(async () => {
    registry = await startRegistry("plain");
    dir = await mkdtemp(join(tmpdir(), "airlock-mutate-"));
    await pushNode(registry.url, "mut/whiteouts", await buildWhiteoutImage(), ["v1"]);
    const platform = { os: "linux", architecture: "amd64" };
    const a = await buildLayer([{ path: "base-a", content: "a\n" }]);
    const b = await buildLayer([{ path: "base-b", content: "b\n" }]);
    const app = await buildLayer([{ path: "app", content: "app\n" }]);
    await pushNode(registry.url, "mut/base", buildImage("docker", platform, [a]), ["a"]);
    await pushNode(registry.url, "mut/base", buildImage("docker", platform, [b]), ["b"]);
    await pushNode(registry.url, "mut/app", buildImage("docker", platform, [a, app]), ["v1"]);
  });
  after(() => registry.stop());

  it("mutate changes the config and annotations, keeps the layers", async () => {
    const res = await runCommand(mutateCommand, [
      ref("mut/whiteouts:v1"),
      ...["-t", ref("mut/changed:v1"), "--label", "team=air", "--annotation", "note=hi", "--env", "FOO=bar"],
      ...["--entrypoint", "sh,-c", "--cmd", '["echo","hi"]', "--user", "1000", "--workdir", "/srv"],
    ]);
    assert.equal(res.code, 0, res.stderr);
    const digest = res.stdout.toString().trim();
    const c = (await config(ref("mut/changed:v1"))).config;
    assert.deepEqual(c?.Labels, { team: "air" });
    assert.ok(c?.Env?.includes("FOO=bar"));
    assert.deepEqual(
      [c?.Entrypoint, c?.Cmd, c?.User, c?.WorkingDir],
      [["sh", "-c"], ["echo", "hi"], "1000", "/srv"],
    );
    const m = await manifest(ref("mut/changed:v1"));
    assert.equal(m.annotations?.note, "hi");
    assert.deepEqual(m.layers, (await manifest(ref("mut/whiteouts:v1"))).layers);
    const raw = (
      await runSkopeo([
        "inspect",
        "--format",
        "{{.Digest}}",
        "--tls-verify=false",
        `docker://${ref("mut/changed:v1")}`,
      ])
    ).stdout;
    assert.equal(raw.toString().trim(), digest);
    const bad = await runCommand(mutateCommand, [ref("mut/whiteouts:v1"), "--label", "novalue"]);
    assert.equal(bad.code, 2);
  });

  it("append adds a layer per tar file or directory", async () => {
    const tarFile = join(dir, "extra.tar");
    await writeFile(tarFile, await buildTar([{ path: "opt/" }, { path: "opt/from-tar", content: "tar\n" }]));
    const tree1 = join(dir, "tree");
    await mkdir(join(tree1, "srv"), { recursive: true });
    await writeFile(join(tree1, "srv", "from-dir"), "dir\n");
    const res = await runCommand(appendCommand, [
      ref("mut/whiteouts:v1"),
      tarFile,
      tree1,
      "-t",
      ref("mut/appended:v1"),
    ]);
    assert.equal(res.code, 0, res.stderr);
    const m = await manifest(ref("mut/appended:v1"));
    assert.equal(m.layers.length, 5);
    const c = await config(ref("mut/appended:v1"));
    assert.equal(c.rootfs?.diff_ids.length, 5);
    const files = await unpack(ref("mut/appended:v1"), "appended");
    assert.equal(files.get("opt/from-tar"), "file 644 tar\n");
    assert.equal(files.get("srv/from-dir"), "file 644 dir\n");
  });

  it("flatten gives one layer with the same filesystem", async () => {
    const res = await runCommand(flattenCommand, [ref("mut/whiteouts:v1"), "-t", ref("mut/flat:v1")]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal((await manifest(ref("mut/flat:v1"))).layers.length, 1);
    assert.equal((await config(ref("mut/flat:v1"))).rootfs?.diff_ids.length, 1);
    assert.deepEqual(await unpack(ref("mut/flat:v1"), "flat"), await unpack(ref("mut/whiteouts:v1"), "orig"));
  });

  it("rebase swaps the base layers", async () => {
    const res = await runCommand(rebaseCommand, [
      ref("mut/app:v1"),
      ...["--old-base", ref("mut/base:a"), "--new-base", ref("mut/base:b"), "-t", ref("mut/app:rebased")],
    ]);
    assert.equal(res.code, 0, res.stderr);
    const m = await manifest(ref("mut/app:rebased"));
    const base = await manifest(ref("mut/base:b"));
    const app = await manifest(ref("mut/app:v1"));
    assert.deepEqual(m.layers, [...base.layers, app.layers[1]]);
    const files = await unpack(ref("mut/app:rebased"), "rebased");
    assert.deepEqual([...files.keys()].sort(), ["app", "base-b"]);
    const wrong = await runCommand(rebaseCommand, [
      ref("mut/app:v1"),
      ...["--old-base", ref("mut/base:b"), "--new-base", ref("mut/base:a"), "-t", ref("mut/app:x")],
    ]);
    assert.equal(wrong.code, 2);
  });
});
