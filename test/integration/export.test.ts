/**
 * export flattens an image the way umoci unpacks it: a three-layer image
 * that replaces, deletes (.wh.) and empties (.wh..wh..opq) things gives the
 * same files as `umoci unpack` of the same image copied to an OCI layout by skopeo.
 */
import assert from "node:assert/strict";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { exportCommand } from "../../src/cli/commands/export.js";
import { exportImage } from "../../src/verbs/export.js";
import { runCommand } from "../harness/command-runner.js";
import { pushNode } from "../harness/fixture-push.js";
import { buildWhiteoutImage, tree } from "../harness/whiteout-image.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";
import { requireTool, runSkopeo, runTool } from "../harness/tools.js";

describe("export", () => {
  let registry: TestRegistry;
  let dir: string;
  let ref: string;

  before(async () => {
    requireTool("umoci");
    registry = await startRegistry("plain");
    dir = await mkdtemp(join(tmpdir(), "airlock-export-"));
    await pushNode(registry.url, "export/whiteouts", await buildWhiteoutImage(), ["v1"]);
    ref = `${registry.host}/export/whiteouts:v1`;
  });
  after(() => registry.stop());

  it("gives the same files as umoci unpack", async () => {
    const layout = join(dir, "layout");
    await runSkopeo(["copy", "--quiet", "--src-tls-verify=false", `docker://${ref}`, `oci:${layout}:v1`]);
    await runTool("umoci", ["unpack", "--rootless", "--image", `${layout}:v1`, join(dir, "bundle")]);
    const tarFile = join(dir, "export.tar");
    await exportImage(ref, createWriteStream(tarFile));
    const ours = join(dir, "ours");
    await mkdir(ours);
    await runTool("tar", ["-xf", tarFile, "-C", ours, "--no-same-owner"]);
    const want = await tree(join(dir, "bundle", "rootfs"));
    const got = await tree(ours);
    assert.deepEqual(got, want);
    assert.equal(got.get("etc/removed"), "file 644 back again\n");
    assert.equal(got.get("tobefile"), "file 644 now a file\n");
    assert.equal(got.has("olddir"), false);
    assert.equal(got.has("var/cache/a"), false);
    assert.equal(got.has("var/cache/sub"), false);
  });

  it("the command writes to a file atomically or to stdout; a bad reference is one clean error", async () => {
    const file = join(dir, "cli.tar");
    const res = await runCommand(exportCommand, [ref, file]);
    assert.equal(res.code, 0, res.stderr);
    const listing = (await runTool("tar", ["-tf", file])).stdout.toString();
    assert.match(listing, /^etc\/removed$/m);
    assert.doesNotMatch(listing, /\.wh\./);
    const out = await runCommand(exportCommand, [ref, "-"]);
    assert.ok(out.stdout.length > 1024);
    const missing = await runCommand(exportCommand, [
      `${registry.host}/export/none:v1`,
      join(dir, "none.tar"),
    ]);
    assert.equal(missing.code, 3);
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.includes("none")),
      [],
    );
  });
});
