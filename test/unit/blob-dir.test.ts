import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BlobDir } from "../../src/store/blob-dir.js";

const descriptorOf = (bytes: Buffer): { digest: string; size: number } => ({
  digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
  size: bytes.length,
});

describe("BlobDir.putBytes", () => {
  it("stores bytes under their digest, leaving no temporary file", async () => {
    const root = await mkdtemp(join(tmpdir(), "airlock-blobdir-"));
    try {
      const cache = new BlobDir(root);
      const bytes = Buffer.from('{"schemaVersion":2}');
      const d = descriptorOf(bytes);
      await cache.putBytes(d, bytes);
      assert.equal(await cache.has(d), true);
      assert.deepEqual(await readFile(cache.path(d.digest)), bytes);
      await cache.putBytes(d, bytes); // again: the same file, no error
      assert.deepEqual(await readdir(join(root, "tmp")), []);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  for (const [what, wrong] of [
    ["other bytes of the same size", Buffer.from('{"schemaVersion":3}')],
    ["fewer bytes", Buffer.from("{}")],
  ] as const) {
    it(`refuses ${what} with ERR_DIGEST_MISMATCH and writes nothing`, async () => {
      const root = await mkdtemp(join(tmpdir(), "airlock-blobdir-"));
      try {
        const cache = new BlobDir(root);
        const d = descriptorOf(Buffer.from('{"schemaVersion":2}'));
        await assert.rejects(cache.putBytes(d, wrong), { code: "ERR_DIGEST_MISMATCH" });
        assert.equal(await cache.has(d), false);
        assert.deepEqual(await readdir(root).catch(() => []), []);
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    });
  }
});
