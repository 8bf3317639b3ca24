import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isAirlockError } from "../../src/errors.js";
import { formatLocation, parseLocation } from "../../src/store/location.js";
import { emptyLayoutIndex, findInLayout, withLayoutEntry } from "../../src/store/layout-index.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { copyImage } from "../../src/verbs/copy.js";
import { buildImage, buildIndex, buildLayer, blobsOf } from "../harness/image-builder.js";
import { Readable } from "node:stream";
import type { BuiltNode } from "../harness/image-builder.js";
import { sha256Digest } from "../../src/oci/digest.js";

describe("parseLocation", () => {
  const cases: [string, string][] = [
    ["docker://ubuntu", "docker://docker.io/library/ubuntu:latest"],
    ["ubuntu:22.04", "docker://docker.io/library/ubuntu:22.04"],
    ["localhost:5000/app:v1", "docker://localhost:5000/app:v1"],
    ["oci:/tmp/x", "oci:/tmp/x"],
    ["oci:/tmp/x:127.0.0.1:5000/app:v1", "oci:/tmp/x:127.0.0.1:5000/app:v1"],
    ["oci-archive:a.tar:v1", "oci-archive:a.tar:v1"],
    ["docker-archive:a.tar:app:v1", "docker-archive:a.tar:app:v1"],
    ["dir:/tmp/d", "dir:/tmp/d"],
    ["bundle:b.tar:ubuntu", "bundle:b.tar:ubuntu"],
  ];
  for (const [input, want] of cases) {
    it(input, () => assert.equal(formatLocation(parseLocation(input)), want));
  }
  const bad: [string, string][] = [
    ["foo:/tmp/x", "ERR_USAGE"],
    ["ftp://host/x", "ERR_USAGE"],
    ["docker:ubuntu", "ERR_USAGE"],
    ["containers-storage:ubuntu", "ERR_USAGE"],
    ["oci:", "ERR_USAGE"],
    ["dir:/x:ref", "ERR_USAGE"],
    ["oci:/x:", "ERR_USAGE"],
    ["Bad Ref", "ERR_REF_INVALID"],
  ];
  for (const [input, code] of bad) {
    it(`refuses ${input}`, () =>
      assert.throws(
        () => parseLocation(input),
        (e: unknown) => isAirlockError(e) && e.code === code,
      ));
  }
});

describe("layout index", () => {
  const d = (n: number): { mediaType: string; digest: string; size: number } => ({
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
    size: n,
  });
  it("names, renames, finds by short reference and digest", () => {
    let index = withLayoutEntry(emptyLayoutIndex(), d(1), "docker.io/library/ubuntu:22.04");
    index = withLayoutEntry(index, d(2), "v2");
    index = withLayoutEntry(index, d(3), "v2");
    assert.equal(index.manifests.length, 2);
    assert.equal(findInLayout(index, "ubuntu:22.04", "x").digest, d(1).digest);
    assert.equal(findInLayout(index, "v2", "x").digest, d(3).digest);
    assert.equal(findInLayout(index, d(1).digest, "x").size, 1);
    assert.throws(
      () => findInLayout(index, "nope", "x"),
      (e: unknown) => isAirlockError(e) && e.code === "ERR_NOT_FOUND",
    );
    assert.throws(
      () => findInLayout(index, undefined, "x"),
      (e: unknown) => isAirlockError(e) && e.code === "ERR_USAGE",
    );
  });
});

async function storeWith(node: BuiltNode, tag: string): Promise<MemoryStore> {
  const store = new MemoryStore("memory:src", tag);
  for (const blob of blobsOf(node)) {
    await store.blobPut({ mediaType: "x", digest: blob.digest, size: blob.size }, () =>
      Promise.resolve(Readable.from([blob.bytes])),
    );
  }
  await store.tag({ mediaType: node.mediaType, digest: node.digest, size: node.size }, tag);
  return store;
}

describe("copyImage between memory stores", () => {
  it("copies an index with --all, one platform by default, and a new index for several", async () => {
    const layer = await buildLayer([{ path: "a", content: "a" }]);
    const amd = buildImage("oci", { os: "linux", architecture: "amd64" }, [layer]);
    const arm = buildImage("oci", { os: "linux", architecture: "arm64" }, [layer]);
    const s390 = buildImage("oci", { os: "linux", architecture: "s390x" }, [layer]);
    const index = buildIndex("oci", [amd, arm, s390]);
    const src = await storeWith(index, "v1");
    const all = new MemoryStore("memory:all", "v1");
    assert.equal((await copyImage(src, all, { all: true })).digest, index.digest);
    assert.equal(all.blobs.size, 1 + 3 + 3 + 1);
    const one = new MemoryStore("memory:one", "v1");
    assert.equal((await copyImage(src, one, { platforms: ["linux/arm64"] })).digest, arm.digest);
    const two = new MemoryStore("memory:two", "v1");
    const result = await copyImage(src, two, { platforms: ["linux/arm64", "linux/s390x"] });
    assert.equal(result.digestsKept, false);
    assert.equal(result.images, 2);
    const written = two.blobs.get(result.digest);
    assert.ok(written);
    assert.equal(sha256Digest(written), result.digest);
    await assert.rejects(
      copyImage(src, new MemoryStore(), { platforms: ["linux/riscv64"] }),
      (e: unknown) => isAirlockError(e) && e.code === "ERR_PLATFORM_NOT_FOUND",
    );
    await assert.rejects(
      copyImage(src, new MemoryStore(), { all: true, platforms: ["linux/amd64"] }),
      (e: unknown) => isAirlockError(e) && e.code === "ERR_USAGE",
    );
  });
});
