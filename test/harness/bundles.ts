import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runAirlock } from "./cli.js";

/**
 * Makes a bundle with the real CLI: writes `listYaml` as airlock.yaml in a
 * new directory, locks it and runs create-bundle. Returns the paths.
 */
export async function makeBundle(
  listYaml: string,
  name = "bundle.tar",
): Promise<{ dir: string; list: string; lock: string; bundle: string }> {
  const dir = await mkdtemp(join(tmpdir(), "airlock-mk-"));
  const list = join(dir, "airlock.yaml");
  await writeFile(list, listYaml);
  await mkdir(join(dir, "out"));
  const bundle = join(dir, "out", name);
  const res = await runAirlock([
    "create-bundle",
    "-f",
    list,
    "-o",
    bundle,
    "--cache",
    join(dir, "cache"),
    "--quiet",
  ]);
  assert.equal(res.code, 0, `create-bundle: ${res.stderr}`);
  return { dir, list, lock: join(dir, "airlock.lock"), bundle };
}
