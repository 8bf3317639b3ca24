// The README's library example runs as written, against real registries: only its import (to
// this checkout's src/) and the registry names (to the test registries) are rewritten.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { getDigest } from "../../src/index.js";
import { pushBigImage } from "../harness/big-image.js";
import { readmeLibraryExample } from "../harness/readme.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";

const ROOT = join(import.meta.dirname, "..", "..");

/** Runs `node --import tsx FILE` in `cwd`; resolves with how it ended. */
function runScript(
  file: string,
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH,
    HOME: cwd,
    XDG_CACHE_HOME: join(cwd, "cache"),
    XDG_STATE_HOME: join(cwd, "state"),
  };
  const tsx = import.meta.resolve("tsx");
  const child = spawn(process.execPath, ["--import", tsx, file], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("the README's library example", () => {
  let source: TestRegistry;
  let target: TestRegistry;

  before(async () => {
    [source, target] = await Promise.all([startRegistry("plain"), startRegistry("plain")]);
    await pushBigImage(source.url, "team/app", "1.0", [3000, 4000]);
    await pushBigImage(source.url, "team/tool", "2.1", [5000]);
  });
  after(async () => Promise.all([source.stop(), target.stop()]));

  it("locks, bundles, verifies and pushes with progress, as written", async () => {
    const example = await readmeLibraryExample();
    assert.ok(example.includes('from "airlock";'));
    assert.ok(example.includes("registry.internal:5000"));
    const script = example
      .replace(
        'from "airlock";',
        `from ${JSON.stringify(pathToFileURL(join(ROOT, "src", "index.ts")).href)};`,
      )
      .replaceAll("registry.internal:5000", target.host);
    const dir = await mkdtemp(join(tmpdir(), "airlock-readme-"));
    await writeFile(join(dir, "example.mts"), script);
    await writeFile(
      join(dir, "airlock.yaml"),
      `defaults:\n  platforms: [linux/amd64]\nimages:\n  - ${source.host}/team/app:1.0\n  - ${source.host}/team/tool:2.1\n`,
    );
    const run = await runScript("example.mts", dir);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^airlock\.lock: 2 images, \d+ blobs$/m);
    assert.match(run.stdout, /^downloaded \d+ of \d+ bytes$/m);
    assert.match(run.stdout, /^wrote \d+ of \d+ bytes$/m);
    assert.match(run.stdout, /^pushed mirror\/team\/app$/m);
    assert.match(run.stdout, /^pushed mirror\/team\/tool$/m);
    assert.match(run.stdout, /^\d+ blobs uploaded, 0 images failed$/m);
    for (const ref of ["team/app:1.0", "team/tool:2.1"]) {
      assert.equal(await getDigest(`${target.host}/mirror/${ref}`), await getDigest(`${source.host}/${ref}`));
    }
  });
});
