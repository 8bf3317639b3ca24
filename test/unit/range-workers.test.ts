import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, open, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { sha256Digest } from "../../src/oci/digest.js";
import { PrefixHash, handleRangeHash } from "../../src/stream/prefix-hash.js";
import { RangeWorkers } from "../../src/stream/range-workers.js";

const hex = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

describe("RangeWorkers", () => {
  it("copies a file into a range of another, checking size and sha256 as it reads", async () => {
    const dir = await mkdtemp(join(tmpdir(), "airlock-rw-"));
    const blob = randomBytes(3 * 1024 * 1024 + 17);
    await writeFile(join(dir, "blob"), blob);
    await writeFile(join(dir, "target"), Buffer.alloc(100));
    const workers = new RangeWorkers(2);
    try {
      let told = 0;
      const whole = { file: join(dir, "blob"), offset: 0, whole: true };
      const job = { from: whole, to: join(dir, "target"), toOffset: 50, what: "the blob" };
      await workers.copy({ ...job, digest: sha256Digest(blob), size: blob.length }, (n) => (told += n));
      assert.equal(told, blob.length);
      const target = await readFile(join(dir, "target"));
      assert.ok(target.subarray(50).equals(blob));
      assert.ok(target.subarray(0, 50).equals(Buffer.alloc(50)));
      await assert.rejects(workers.copy({ ...job, digest: sha256Digest(blob), size: blob.length - 1 }), {
        code: "ERR_SIZE_MISMATCH",
      });
      await assert.rejects(
        workers.copy({ ...job, digest: sha256Digest(Buffer.from("x")), size: blob.length }),
        {
          code: "ERR_DIGEST_MISMATCH",
        },
      );
      await assert.rejects(
        workers.copy({
          ...job,
          from: { ...whole, file: join(dir, "none") },
          digest: sha256Digest(blob),
          size: 1,
        }),
        {
          code: "ERR_NOT_FOUND",
        },
      );
      // The target is never created: a write abandoned (its file removed) stays gone.
      await assert.rejects(
        workers.copy({ ...job, to: join(dir, "gone"), digest: sha256Digest(blob), size: blob.length }),
      );
      assert.equal(await workers.hash(join(dir, "blob"), 1, 1000), hex(blob.subarray(1, 1001)));
      // A range of a larger file (a blob inside a bundle): its size need not be the file's.
      const part = blob.subarray(1000, 1000 + 2 * 1024 * 1024);
      const ranged = { ...job, from: { ...whole, offset: 1000, whole: false }, toOffset: 0 };
      await workers.copy({ ...ranged, digest: sha256Digest(part), size: part.length });
      assert.ok((await readFile(join(dir, "target"))).subarray(0, part.length).equals(part));
      await assert.rejects(
        workers.copy({
          ...ranged,
          from: { ...ranged.from, offset: blob.length - 10 },
          digest: sha256Digest(part),
          size: part.length,
        }),
        { code: "ERR_SIZE_MISMATCH" },
      );
    } finally {
      await workers.close();
    }
  });
});

describe("PrefixHash", () => {
  it("hashes a file whose ranges complete in any order, on a worker or on this thread", async () => {
    const dir = await mkdtemp(join(tmpdir(), "airlock-ph-"));
    const data = randomBytes(5 * 1024 * 1024);
    const file = join(dir, "f");
    await writeFile(file, data);
    const cuts = [0, 1000, 1 << 20, 3 << 20, 3 << 20, 4 << 20, data.length];
    const ranges = cuts.slice(1).map((end, i) => [cuts[i] ?? 0, end] as const);
    const workers = new RangeWorkers(1);
    const handle = await open(file, "r");
    try {
      for (const hash of [workers.rangeHash(file), handleRangeHash(handle)]) {
        const prefix = new PrefixHash(hash);
        for (const [start, end] of [...ranges].reverse()) prefix.complete(start, end);
        assert.equal(prefix.prefix, data.length);
        assert.equal(await prefix.digest(data.length), hex(data));
      }
      const partial = new PrefixHash(workers.rangeHash(file));
      partial.complete(1000, 2000);
      assert.equal(partial.prefix, 0);
      await assert.rejects(partial.digest(2000));
      // Asked again (an abort after a failed commit), it answers at once instead of waiting on a
      // worker that is gone.
      await assert.rejects(partial.digest(2000));
      const whole = workers.rangeHash(file);
      whole.update(0, data.length);
      assert.equal(await whole.digest(), hex(data));
      assert.equal(await whole.digest(), hex(data));
    } finally {
      await handle.close();
      await workers.close();
    }
  });
});
