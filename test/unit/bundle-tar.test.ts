import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import { tarSize } from "../../src/store/tar-layout.js";
import { blobEntryName, bundleTarLayout, writeLayoutTar } from "../../src/bundle/bundle-tar.js";
import { indexBundleTar } from "../../src/store/bundle-index.js";
import { indexTarFile } from "../../src/store/tar-index.js";
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

  it("puts every entry where bundleTarLayout said it would, before a byte was written", async () => {
    const blobs = [randomBytes(1000), randomBytes(512), Buffer.alloc(0), randomBytes(70_000)];
    const { cache, descs } = await cacheWith(blobs);
    const dir = await mkdtemp(join(tmpdir(), "airlock-tar-"));
    const files = [
      { name: "oci-layout", bytes: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
      { name: "index.json", bytes: randomBytes(600) },
      { name: "airlock.lock", bytes: randomBytes(1025) },
    ];
    const layout = bundleTarLayout(
      files.map((f) => ({ name: f.name, size: f.bytes.length })),
      descs,
    );
    const { file, size } = await writeLayoutTar(join(dir, "a.tar"), files, descs, cache);
    assert.equal(size, layout.size);
    const bundle = await indexBundleTar(file);
    for (const d of descs) {
      assert.deepEqual(bundle.blobs.get(d.digest), {
        offset: layout.slot(blobEntryName(d.digest))?.dataOffset,
        size: d.size,
      });
    }
    const all = await indexTarFile(file, "bundle", { keep: () => false });
    const regular = layout.slots.filter((s) => s.type === "file");
    assert.equal(all.files.size, regular.length);
    for (const slot of regular) {
      assert.equal(all.files.get(slot.name)?.offset, slot.dataOffset, slot.name);
      assert.equal(all.files.get(slot.name)?.size, slot.size, slot.name);
    }
  });
});
