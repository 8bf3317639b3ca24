import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = join(ROOT, "dist", "cli", "main.js");
const MARK = "airlock-test-loaded-package ";

// A module loader hook that reports on stderr every file imported from node_modules (CommonJS
// packages included: an import of one passes through the hook too).
const HOOK = `import { writeSync } from "node:fs";
export async function load(url, context, next) {
  const m = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\/(.*)/.exec(url);
  if (m) writeSync(2, ${JSON.stringify(MARK)} + m[1] + " " + m[2] + "\\n");
  return next(url, context);
}`;
const REGISTER = `import { register } from "node:module";
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOK)}`)});`;

/** The npm packages `airlock ARGS` imports (and their files, "ajv/dist/…"), and its exit code. */
async function packagesLoaded(
  args: string[],
  home: string,
): Promise<{ code: number; packages: string[]; files: string[] }> {
  const register = `data:text/javascript,${encodeURIComponent(REGISTER)}`;
  const child = spawn(process.execPath, ["--import", register, MAIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: home },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const code = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (status) => resolve(status ?? -1));
  });
  const loaded = stderr
    .split("\n")
    .filter((line) => line.startsWith(MARK))
    .map((line) => line.slice(MARK.length).split(" "));
  const packages = loaded.map(([name]) => name ?? "");
  const files = loaded.map(([name, file]) => `/${name}/${file}`);
  return { code, packages: [...new Set(packages)].sort(), files: [...new Set(files)].sort() };
}

describe("the CLI loads only what the command it runs needs", () => {
  let home: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), "airlock-home-"));
  });
  after(async () => rm(home, { recursive: true, force: true }));

  it("sees the packages a command does load (the check below would otherwise prove nothing)", async () => {
    const res = await packagesLoaded(["validate", "-f", "examples/minimal.yaml"], home);
    assert.equal(res.code, 0);
    for (const name of ["ajv", "js-yaml"]) assert.ok(res.packages.includes(name), res.packages.join(" "));
  });

  for (const args of [["--version"], ["--help"], ["push-bundle", "--help"], ["lock", "--help"]]) {
    it(`airlock ${args.join(" ")} imports no dependency at all`, async () => {
      const res = await packagesLoaded(args, home);
      assert.equal(res.code, 0);
      assert.deepEqual(res.packages, []);
    });
  }

  it("validate and lock --check load no registry client (undici) and compile no schema (ajv's compiler)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "airlock-check-"));
    try {
      const list = join(dir, "airlock.yaml");
      await writeFile(list, "images:\n  - registry.test/app@sha256:" + "a".repeat(64) + "\n");
      const lock = await packagesLoaded(["lock", "-f", list, "--check"], home);
      assert.notEqual(lock.code, 0); // no lock yet: ERR_LOCK_STALE after reading the list
      const validate = await packagesLoaded(["validate", "-f", list], home);
      assert.equal(validate.code, 0);
      for (const res of [lock, validate]) {
        assert.ok(res.packages.includes("js-yaml"), res.packages.join(" "));
        assert.ok(!res.packages.includes("undici"), `undici loaded: ${res.packages.join(" ")}`);
        // The generated validators import ajv's small runtime helpers only, never ajv itself.
        const compiler = res.files.filter((f) => /^\/ajv\/dist\/(2020|ajv|core|compile)/.test(f));
        assert.deepEqual(compiler, []);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("create-bundle without a signature policy loads no signature checker (@sigstore/*)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "airlock-create-"));
    try {
      const list = join(dir, "airlock.yaml");
      await writeFile(list, "images:\n  - 127.0.0.1:9/app:v1\n");
      const res = await packagesLoaded(["create-bundle", "-f", list, "-o", join(dir, "b.tar"), "-q"], home);
      assert.notEqual(res.code, 0); // nothing listens on port 9
      for (const name of ["undici", "js-yaml"])
        assert.ok(res.packages.includes(name), res.packages.join(" "));
      const sigstore = res.packages.filter((p) => p.startsWith("@sigstore/"));
      assert.deepEqual(sigstore, []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("push-bundle loads its own modules but not the image list and lock codecs (ajv, js-yaml, semver)", async () => {
    const res = await packagesLoaded(["push-bundle", "missing.tar", "--to", "127.0.0.1:9", "-q"], home);
    assert.notEqual(res.code, 0);
    for (const name of ["undici", "tar-stream"])
      assert.ok(res.packages.includes(name), res.packages.join(" "));
    for (const name of ["ajv", "js-yaml", "semver", "cli-progress"]) {
      assert.ok(!res.packages.includes(name), `${name} loaded: ${res.packages.join(" ")}`);
    }
  });
});
