import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeBundle } from "../harness/bundles.js";
import { runAirlock } from "../harness/cli.js";
import { spawnAirlock } from "../harness/cli-process.js";
import { startFaultProxy } from "../harness/fault-proxy.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";
import { writeTinyOciLayout } from "../harness/tiny-image.js";

const APPS = [1, 2, 3, 4, 5].map((i) => `team/app${i}:v1`);

/** The stderr lines that name an image of the run (a failure told per image). */
function imageLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => APPS.some((app) => l.includes(app.split(":")[0] ?? "")));
}

describe("failures told by cause, and Ctrl-C told as an interruption", () => {
  let source: TestRegistry;
  let locked: TestRegistry;
  let dir: string;
  let bundle: string;
  let list: string;

  before(async () => {
    [source, locked] = await Promise.all([startRegistry("plain"), startRegistry("htpasswd")]);
    dir = await mkdtemp(join(tmpdir(), "airlock-failures-"));
    const layout = join(dir, "layout");
    await writeTinyOciLayout(layout, "v1");
    for (const app of APPS) {
      const res = await runAirlock(["copy", `oci:${layout}:v1`, `${source.host}/${app}`, "-q"]);
      assert.equal(res.code, 0, res.stderr);
    }
    const yaml = `images:\n${APPS.map((app) => `  - ${source.host}/${app}`).join("\n")}\n`;
    ({ bundle, list } = await makeBundle(yaml));
  });
  after(async () => Promise.all([source.stop(), locked.stop()]));

  it("push-bundle of 5 images without credentials: one grouped line naming the first few, exit 4", async () => {
    const res = await runAirlock(["push-bundle", bundle, "--to", locked.host, "--journal", join(dir, "j1")]);
    assert.equal(res.code, 4, res.stderr);
    const lines = res.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, res.stderr);
    assert.match(lines[0] ?? "", /^airlock: error: 5 images failed: .*airlock login/);
    assert.match(lines[0] ?? "", /app1:v1, .*app2:v1, .*app3:v1 and 2 more\)$/);
    assert.doesNotMatch(res.stderr, /0 images: 0 blobs/);
  });

  it("with --json the grouped failure is one JSON object on stderr", async () => {
    const args = ["push-bundle", bundle, "--to", locked.host, "--journal", join(dir, "j2"), "--json"];
    const res = await runAirlock(args);
    assert.equal(res.code, 4, res.stderr);
    const error = JSON.parse(res.stderr) as { code: string; exitCode: number; failures: unknown[] };
    assert.equal(error.code, "ERR_AUTH");
    assert.equal(error.exitCode, 4);
    assert.equal(error.failures.length, 5);
    const result = JSON.parse(res.stdout.toString()) as { images: unknown[]; failures: unknown[] };
    assert.equal(result.failures.length, 5);
  });

  it("sync and lock group the same cause the same way", async () => {
    const sync = await runAirlock(["sync", "--src", "yaml", list, "--dest", `${locked.host}/mirror`]);
    assert.equal(sync.code, 4, sync.stderr);
    assert.equal(imageLines(sync.stderr).length, 1, sync.stderr);
    assert.match(sync.stderr, /^airlock: error: 5 images failed: /);

    const authList = join(dir, "auth.yaml");
    await writeFile(authList, `images:\n${APPS.map((app) => `  - ${locked.host}/${app}`).join("\n")}\n`);
    const lock = await runAirlock(["lock", "-f", authList, "--cache", join(dir, "cache")]);
    assert.equal(lock.code, 4, lock.stderr);
    assert.equal(lock.stderr.trimEnd().split("\n").length, 1, lock.stderr);
    assert.match(lock.stderr, /^airlock: error: 5 images failed: /);
  });

  it("Ctrl-C mid-push prints interrupted and exits 130, with no per-image failures", async () => {
    const target = await startRegistry("plain");
    const proxy = await startFaultProxy(target.url);
    try {
      // Every upload waits, so the run is surely mid-push when the signal comes.
      proxy.addRule({ path: /\/blobs\/uploads\//, times: Infinity, action: { kind: "delay", ms: 3_000 } });
      const run = await spawnAirlock([
        "push-bundle",
        bundle,
        "--to",
        proxy.host,
        "--journal",
        join(dir, "j3"),
      ]);
      await proxy.waitFor((e) => /\/blobs\/uploads\//.test(e.path));
      run.child.kill("SIGINT");
      const end = await run.ended;
      assert.equal(end.code, 130, end.stderr);
      assert.equal(end.stderr.trimEnd(), "airlock: interrupted");
    } finally {
      await proxy.close();
      await target.stop();
    }
  });
});
