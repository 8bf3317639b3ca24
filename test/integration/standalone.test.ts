import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { VERSION } from "../../src/version.js";
import { startSeededRegistry, type FixtureSet } from "../harness/fixtures.js";
import type { TestRegistry } from "../harness/registry.js";
import { runTool } from "../harness/tools.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Runs `node airlock.mjs ARGS` in `dir` with nothing but PATH and a throwaway HOME. */
async function runStandalone(
  dir: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH ?? "", HOME: dir };
  return new Promise((resolve) => {
    execFile(process.execPath, ["airlock.mjs", ...args], { cwd: dir, env }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe("the one-file build (npm run build:standalone)", () => {
  let dir: string;
  let registry: TestRegistry;
  let fixtures: FixtureSet;

  before(async () => {
    await runTool(process.execPath, [join(ROOT, "scripts", "build-standalone.mjs")], { cwd: ROOT });
    dir = await mkdtemp(join(tmpdir(), "airlock-standalone-"));
    await copyFile(join(ROOT, "dist", "airlock.mjs"), join(dir, "airlock.mjs"));
    await copyFile(join(ROOT, "examples", "airlock.yaml"), join(dir, "example.yaml"));
    ({ registry, fixtures } = await startSeededRegistry("plain"));
  });
  after(async () => registry.stop());

  it("runs from an empty directory with only itself: --version", async () => {
    assert.deepEqual((await readdir(dir)).sort(), ["airlock.mjs", "example.yaml"]);
    const res = await runStandalone(dir, ["--version"]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, `airlock ${VERSION}\n`);
  });

  it("runs as an executable through its shebang, which starts node with its V8 flags and malloc setting", async () => {
    const file = join(dir, "airlock.mjs");
    const firstLine = (await readFile(file, "utf8")).split("\n", 1)[0];
    assert.equal(firstLine, "#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2");
    const env = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: dir };
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(file, ["--version"], { cwd: dir, env }, (error, out, err) =>
        error === null ? resolve(out) : reject(new Error(`${error.message}: ${err}`)),
      );
    });
    assert.equal(stdout, `airlock ${VERSION}\n`);
  });

  it("validates an image list with the embedded JSON Schema", async () => {
    const good = await runStandalone(dir, ["validate", "-f", "example.yaml"]);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stderr, /example\.yaml: ok/);
    await writeFile(join(dir, "bad.yaml"), "images:\n  - ref: 42\n    colour: blue\n");
    const bad = await runStandalone(dir, ["validate", "-f", "bad.yaml"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.yaml:3:5/);
  });

  it("talks to a registry: digest, and lock then lock --check (the embedded lock schema)", async () => {
    const multi = fixtures.byRef("fixtures/multi-oci:v1");
    const digest = await runStandalone(dir, ["digest", `${registry.host}/fixtures/multi-oci:v1`]);
    assert.equal(digest.code, 0, digest.stderr);
    assert.equal(digest.stdout.trim(), multi.digest);
    await writeFile(join(dir, "airlock.yaml"), `images:\n  - ${registry.host}/fixtures/single-oci:v1\n`);
    const lock = await runStandalone(dir, ["lock", "-f", "airlock.yaml"]);
    assert.equal(lock.code, 0, lock.stderr);
    const check = await runStandalone(dir, ["lock", "--check", "-f", "airlock.yaml"]);
    assert.equal(check.code, 0, check.stderr);
  });
});
