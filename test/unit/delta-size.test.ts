import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { deltaSize } from "../../src/plan/diff-bytes.js";
import { encodeLock } from "../../src/plan/lock-file.js";
import type { LockedImage } from "../../src/plan/lock-types.js";
import { handImage, handLock } from "../harness/hand-lock.js";
import { runAirlockInProcess } from "../harness/cli.js";

/** An image of one platform: manifest `m` (size 1), config `m + 1`, layers as given (each its own digest number and size). */
const image = (name: string, m: number, layers: number[]): LockedImage =>
  handImage(name, {
    manifest: m,
    manifestSize: 1,
    configSize: m + 1,
    layers: layers.map((n) => ({ n, size: n })),
  });
const lockOf = handLock;

const OLD = lockOf(image("a", 10_000, [100, 200]), image("b", 20_000, [100, 300]));
const NEW = lockOf(
  image("a", 10_000, [100, 200]),
  image("b", 21_000, [100, 301]),
  image("c", 30_000, [100, 400, 200]),
);

describe("diff --bytes: what a delta of NEW against OLD carries", () => {
  it("every manifest, only the configs and layers OLD lacks, per image and each digest once in all", () => {
    const size = deltaSize(OLD, NEW);
    const byRef = new Map(size.images.map((i) => [i.reference.split("/")[1], i]));
    assert.deepEqual(byRef.get("a:v1")?.carried, { manifests: 1, manifestBytes: 1, blobs: 0, blobBytes: 0 });
    assert.deepEqual(byRef.get("a:v1")?.leftOut, { blobs: 3, bytes: 100 + 200 + 10_001 });
    assert.deepEqual(byRef.get("b:v1")?.carried, {
      manifests: 1,
      manifestBytes: 1,
      blobs: 2,
      blobBytes: 301 + 21_001,
    });
    assert.deepEqual(byRef.get("c:v1")?.carried, {
      manifests: 1,
      manifestBytes: 1,
      blobs: 2,
      blobBytes: 400 + 30_001,
    });
    assert.equal(size.delta.blobs, 4);
    assert.equal(size.delta.bytes, 3 + 301 + 21_001 + 400 + 30_001);
    assert.equal(size.full.bytes, 3 + 100 + 200 + 10_001 + 301 + 21_001 + 400 + 30_001);
    assert.equal(size.saved, size.full.bytes - size.delta.bytes);
  });

  it("against itself carries manifests only; against nothing shared, everything", () => {
    assert.equal(deltaSize(NEW, NEW).delta.blobs, 0);
    const unrelated = lockOf(image("z", 90_000, [9]));
    const all = deltaSize(unrelated, NEW);
    assert.equal(all.delta.bytes, all.full.bytes);
    assert.equal(all.saved, 0);
  });

  it("airlock diff OLD NEW --bytes says it per image, as text and as JSON", async () => {
    const dir = await mkdtemp(join(tmpdir(), "airlock-diff-bytes-"));
    const [oldFile, newFile] = [join(dir, "old.lock"), join(dir, "new.lock")];
    await writeFile(oldFile, encodeLock(OLD));
    await writeFile(newFile, encodeLock(NEW));
    const text = await runAirlockInProcess(["diff", oldFile, newFile, "--bytes"]);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.toString().trimEnd().split("\n");
    assert.equal(lines.length, 4, text.stdout.toString());
    assert.match(lines[2] ?? "", /^r\.example\/c:v1: 1 manifest .*2 blobs/);
    const json = await runAirlockInProcess(["diff", oldFile, newFile, "--bytes", "--json"]);
    assert.deepEqual(JSON.parse(json.stdout.toString()), deltaSize(OLD, NEW));
  });
});
