// The bundle workflow used as a library, imported by name as a user would: one AbortSignal
// across verbs that run many requests at once, and aborts that leave nothing half-written.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createBundle, getDigest, lockImageList, pushBundle, verifyBundle } from "airlock";
import { pushBigImage } from "../harness/big-image.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";

/** Layers per image: far more requests in flight than Node's ten listeners per signal. */
const LAYERS = 40;

/** Collects the process's warnings while `run` runs. */
async function warningsDuring(run: () => Promise<unknown>): Promise<string[]> {
  const warnings: string[] = [];
  const listener = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
  process.on("warning", listener);
  try {
    await run();
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", listener);
  }
  return warnings;
}

describe("the bundle workflow as a library", () => {
  let source: TestRegistry;
  let target: TestRegistry;
  let dir: string;
  let list: string;

  before(async () => {
    [source, target] = await Promise.all([startRegistry("plain"), startRegistry("plain")]);
    const sizes = Array.from({ length: LAYERS }, (_, i) => 2000 + i);
    for (const tag of ["v1", "v2", "v3"]) await pushBigImage(source.url, "many/blobs", tag, sizes);
    dir = await mkdtemp(join(tmpdir(), "airlock-lib-bundle-"));
    list = join(dir, "airlock.yaml");
    const images = ["v1", "v2", "v3"].map((t) => `  - ref: ${source.host}/many/blobs:${t}\n`).join("");
    await writeFile(list, `defaults:\n  platforms: [linux/amd64]\nimages:\n${images}`);
  });
  after(async () => Promise.all([source.stop(), target.stop()]));

  it("one AbortSignal through lock, create-bundle, verify and push adds no listener warning", async () => {
    const work = join(dir, "signal");
    const signal = new AbortController().signal;
    const warnings = await warningsDuring(async () => {
      const lock = join(dir, "signal.lock");
      await lockImageList({ file: list, output: lock, cacheDir: null, concurrency: 16, signal });
      const bundle = await createBundle({
        file: list,
        lockFile: lock,
        output: `${work}.tar`,
        cacheDir: join(dir, "cache-signal"),
        concurrency: 32,
        signal,
      });
      await verifyBundle(bundle.file, { signal });
      await pushBundle([bundle.file], {
        to: target.host,
        concurrency: 32,
        journalFile: join(dir, "signal.journal"),
        signal,
      });
    });
    assert.deepEqual(
      warnings.filter((w) => w.startsWith("MaxListenersExceededWarning")),
      [],
    );
    assert.equal(
      await getDigest(`${target.host}/many/blobs:v3`),
      await getDigest(`${source.host}/many/blobs:v3`),
    );
  });
});
