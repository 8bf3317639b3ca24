import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { MediaType } from "../../src/oci/media-types.js";
import { isOneCleanLine, runAirlock } from "../harness/cli.js";
import { pushNode } from "../harness/fixture-push.js";
import { startSeededRegistry } from "../harness/fixtures.js";
import { buildManifest, jsonBlob, toBlob } from "../harness/image-builder.js";
import type { TestRegistry } from "../harness/registry.js";

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, "..", "..", "dist", "cli", "main.js");

/** Files in a directory, recursively, as relative paths. */
async function filesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

describe("create-bundle: bad input and faults leave nothing under the final name", () => {
  let registry: TestRegistry;
  let dir: string;
  let list: string;

  before(async () => {
    ({ registry } = await startSeededRegistry("plain"));
    // An image with a 96 MiB layer, so a download is still running when it is interrupted.
    const layer = { ...toBlob(randomBytes(96 * 1024 * 1024)), mediaType: MediaType.OciLayerTarGzip };
    const config = {
      ...jsonBlob({ os: "linux", architecture: "amd64", rootfs: { type: "layers", diff_ids: [] } }),
      mediaType: MediaType.OciConfig,
    };
    const big = buildManifest(MediaType.OciManifest, { os: "linux", architecture: "amd64" }, config, [layer]);
    await pushNode(registry.url, "big/image", big, ["v1"]);
    dir = await mkdtemp(join(tmpdir(), "airlock-faults-"));
    list = join(dir, "airlock.yaml");
    await writeFile(
      list,
      `images:\n  - ${registry.host}/fixtures/single-oci:v1\n  - ${registry.host}/big/image:v1\n`,
    );
    const locked = await runAirlock(["lock", "-f", list, "--cache", join(dir, "lock-cache")]);
    assert.equal(locked.code, 0, locked.stderr);
  });
  after(async () => registry.stop());

  it("refuses a stale lock, naming the entry, and writes nothing", async () => {
    const stale = join(dir, "stale.yaml");
    await writeFile(stale, `images:\n  - ${registry.host}/fixtures/single-oci:v1\n`);
    await run("cp", [join(dir, "airlock.lock"), join(dir, "stale.lock")]);
    await mkdir(join(dir, "out-stale"));
    const res = await runAirlock(["create-bundle", "-f", stale, "-o", join(dir, "out-stale", "b.tar")]);
    assert.equal(res.code, 1, res.stderr);
    assert.ok(isOneCleanLine(res.stderr), res.stderr);
    assert.match(res.stderr, /stale\.lock does not match .*big\/image:v1.*--update-lock/);
    assert.deepEqual(await filesIn(join(dir, "out-stale")), []);
  });

  it("a cache that is a file is one clear line, and nothing is written", async () => {
    await mkdir(join(dir, "out-cachefile"));
    await writeFile(join(dir, "cache-is-a-file"), "x");
    const res = await runAirlock([
      "create-bundle",
      "-f",
      list,
      "-o",
      join(dir, "out-cachefile", "b.tar"),
      "--cache",
      join(dir, "cache-is-a-file"),
    ]);
    assert.equal(res.code, 2, res.stderr);
    assert.ok(isOneCleanLine(res.stderr), res.stderr);
    assert.match(res.stderr, /cache-is-a-file as the blob cache: it is not a directory/);
    assert.deepEqual(await filesIn(join(dir, "out-cachefile")), []);
  });

  it("a missing output directory is one clear line", async () => {
    const res = await runAirlock(["create-bundle", "-f", list, "-o", join(dir, "no-such-dir", "b.tar")]);
    assert.equal(res.code, 2, res.stderr);
    assert.ok(isOneCleanLine(res.stderr), res.stderr);
    assert.match(res.stderr, /output directory .*no-such-dir does not exist/);
  });

  it("a missing image fails the lock with its file:line, and no lock or bundle is written", async () => {
    const missing = join(dir, "missing.yaml");
    await writeFile(missing, `images:\n  - ${registry.host}/fixtures/nope:v1\n`);
    const res = await runAirlock(["create-bundle", "-f", missing, "-o", join(dir, "m.tar")]);
    assert.equal(res.code, 3, res.stderr);
    assert.match(res.stderr, /missing\.yaml:2:\d+ .*nope:v1: .*not found/);
    assert.ok(!(await filesIn(dir)).some((f) => f === "m.tar" || f === "missing.lock"));
  });

  it("Ctrl-C mid-download exits 130, leaves no bundle, and a re-run completes it", async () => {
    await mkdir(join(dir, "out-int"));
    const out = join(dir, "out-int", "b.tar");
    const args = ["create-bundle", "-f", list, "-o", out, "--cache", join(dir, "cache-int")];
    const child = spawn(process.execPath, [MAIN, ...args], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { PATH: process.env.PATH, HOME: dir, AIRLOCK_PROGRESS_INTERVAL_MS: "50" },
    });
    let stderr = "";
    let sent = false;
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!sent && stderr.includes("fetching: ")) sent = child.kill("SIGINT");
    });
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    assert.equal(code, 130, stderr);
    // What had arrived stays in the partial tar and its journal, both or neither, for a re-run.
    const left = (await filesIn(join(dir, "out-int"))).sort();
    assert.ok(
      left.length === 0 || String(left) === "b.tar.partial,b.tar.partial.journal",
      `left: ${left.join(", ")}`,
    );
    assert.ok(
      !(await filesIn(join(dir, "cache-int"))).some((f) => f.endsWith(".partial")),
      "no partial blob in the cache",
    );
    const again = await runAirlock(args);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual((await filesIn(join(dir, "out-int"))).sort(), ["b.tar", "b.tar.sha256"]);
  });

  it("a registry gone before the download is a clear network error and nothing is written", async () => {
    const { registry: doomed } = await startSeededRegistry("plain");
    const gone = join(dir, "gone.yaml");
    await writeFile(gone, `images:\n  - ${doomed.host}/fixtures/multi-oci:v1\n`);
    assert.equal((await runAirlock(["lock", "-f", gone, "--cache", join(dir, "gone-lock-cache")])).code, 0);
    await doomed.stop();
    await mkdir(join(dir, "out-gone"));
    const res = await runAirlock([
      "create-bundle",
      "-f",
      gone,
      "-o",
      join(dir, "out-gone", "b.tar"),
      "--cache",
      join(dir, "gone-cache"),
    ]);
    assert.equal(res.code, 5, res.stderr);
    assert.match(res.stderr, /connection refused/);
    assert.deepEqual(await filesIn(join(dir, "out-gone")), []);
  });

  it("stops before downloading when the output's filesystem lacks the space", async () => {
    const small = join(dir, "small-fs");
    await mkdir(small);
    await run("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", small]);
    try {
      const res = await runAirlock([
        "create-bundle",
        "-f",
        list,
        "-o",
        join(small, "b.tar"),
        "--cache",
        join(small, "cache"),
      ]);
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, /not enough space for .*b\.tar: it needs \d+ bytes/);
      assert.deepEqual(await filesIn(small), []);
    } finally {
      await run("umount", [small]);
    }
  });
});
