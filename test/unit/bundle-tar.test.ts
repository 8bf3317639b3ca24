import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import { tarSize } from "../../src/bundle/tar-size.js";
import { writeLayoutTar } from "../../src/bundle/write-tar.js";
import { sha256Digest } from "../../src/oci/digest.js";
import { BlobDir } from "../../src/store/blob-dir.js";

const run = promisify(execFile);

async function cacheWith(
  blobs: Buffer[],
): Promise<{ cache: BlobDir; descs: { digest: string; size: number }[] }> {
  const cache = new BlobDir(await mkdtemp(join(tmpdir(), "airlock-cache-")));
  const descs = blobs.map((b) => ({ digest: sha256Digest(b), size: b.length }));
  for (const [i, d] of descs.entries()) await cache.put(d, Readable.from([blobs[i] as Buffer]));
  return { cache, descs: descs.sort((a, b) => a.digest.localeCompare(b.digest)) };
}

describe("writeLayoutTar", () => {
  it("writes a tar that GNU tar lists, byte-identical on every run, of the predicted size", async () => {
    const blobs = [randomBytes(1000), randomBytes(513), Buffer.alloc(0), randomBytes(70_000)];
    const { cache, descs } = await cacheWith(blobs);
    const dir = await mkdtemp(join(tmpdir(), "airlock-tar-"));
    const files = [{ name: "oci-layout", bytes: Buffer.from('{"imageLayoutVersion":"1.0.0"}') }];
    const a = await writeLayoutTar(join(dir, "a.tar"), files, descs, cache);
    const b = await writeLayoutTar(join(dir, "b.tar"), files, descs, cache);
    const bytesA = await readFile(a.file);
    assert.ok(bytesA.equals(await readFile(b.file)));
    assert.equal(a.sha256, createHash("sha256").update(bytesA).digest("hex"));
    assert.equal(bytesA.length, tarSize([files[0]?.bytes.length ?? 0, 0, 0, ...descs.map((d) => d.size)]));
    const { stdout } = await run("tar", ["-tvf", a.file]);
    assert.match(stdout, /oci-layout/);
    for (const d of descs) assert.ok(stdout.includes(d.digest.slice(7)));
    assert.deepEqual((await readdir(dir)).sort(), ["a.tar", "b.tar"]);
  });

  it("refuses a cached blob that no longer matches, leaving nothing under the final name", async () => {
    const { cache, descs } = await cacheWith([randomBytes(2000)]);
    const bad = { digest: descs[0]?.digest ?? "", size: 1999 };
    const dir = await mkdtemp(join(tmpdir(), "airlock-tar-"));
    await assert.rejects(writeLayoutTar(join(dir, "x.tar"), [], [bad], cache), { code: "ERR_SIZE_MISMATCH" });
    assert.deepEqual(await readdir(dir), []);
  });
});
