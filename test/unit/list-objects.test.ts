// Lists and locks given as objects are checked exactly as files are: same schema, same problems
// and codes, reported at "<object>" and the path.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { load } from "js-yaml";
import {
  ImageListError,
  formatProblem,
  loadImageListObject,
  parseImageList,
  parseImageListObject,
  type ImageList,
} from "../../src/imagelist/index.js";
import { decodeLock, encodeLock, parseLockObject } from "../../src/plan/lock-file.js";
import type { Lock } from "../../src/plan/lock-types.js";

const EXAMPLES = path.join(import.meta.dirname, "../../examples");
const DIGEST = "sha256:" + "ab".repeat(32);

/** The list without where it was read from. */
function withoutSource(list: ImageList | undefined): unknown {
  assert.ok(list);
  return { ...list, file: "", images: list.images.map((e) => ({ ...e, position: undefined })) };
}

describe("an image list given as an object", () => {
  for (const name of ["airlock.yaml", "minimal.yaml", "skopeo-sync.yaml", "mindthegap-images.yaml"]) {
    it(`normalises as the file does: examples/${name}`, async () => {
      const text = await readFile(path.join(EXAMPLES, name), "utf8");
      // Named as if in the working directory, against which an object's relative paths resolve.
      const fromFile = parseImageList(text, name);
      const fromObject = parseImageListObject(load(text));
      assert.deepEqual(fromObject.problems, []);
      const expected = withoutSource(fromFile.list) as ImageList;
      const got = withoutSource(fromObject.list) as ImageList;
      // skopeo and mindthegap are told apart by the file name only when the content cannot say.
      assert.deepEqual({ ...got, format: expected.format }, expected);
      assert.equal(fromObject.list?.file, "<object>");
      assert.deepEqual(fromObject.list?.images[0]?.position, { file: "<object>", line: 0, column: 0 });
    });
  }

  it("has the file's problems, at <object> and their path", () => {
    const text = `defaults:
  platfroms: [linux/amd64]
registries:
  registry.example.com:
    insecure: "false"
images:
  - ghcr.io/Org/App:1.0
  - ref: registry.example.com/app
    tags: ["1.0"]
    semver: ">=1"
  - ref: alpine:3.20
    platforms: [linux/amd64, linux/amd]
  - ref: alpine:3.20
    platforms: [linux/amd64, linux/amd]
`;
    const fromFile = parseImageList(text, "airlock.yaml").problems;
    const fromObject = parseImageListObject(load(text)).problems;
    assert.ok(fromFile.length >= 5);
    const key = (p: { path: string; message: string }): string => `${p.path}: ${p.message}`;
    const byPath = (a: string, b: string): number => a.localeCompare(b);
    const fileLines = fromFile.map(key).sort(byPath);
    // A duplicate names the earlier entry by path and, in a file, its line.
    assert.deepEqual(
      fromObject.map(key).sort(byPath),
      fileLines.map((l) => l.replace(/ \(line \d+\)/, "")),
    );
    for (const p of fromObject) assert.deepEqual(p.position, { file: "<object>", line: 0, column: 0 });
    assert.ok(
      fromObject
        .map(formatProblem)
        .includes(`<object> images[0]: ${fromFile.find((p) => p.path === "images[0]")?.message}`),
      fromObject.map(formatProblem).join("\n"),
    );
  });

  it("is refused as a file is: ImageListError ERR_IMAGELIST_INVALID with every problem", () => {
    for (const value of [null, "nginx", [], { images: [] }, { images: ["nginx"], extra: 1 }]) {
      assert.throws(
        () => loadImageListObject(value),
        (err: unknown) =>
          err instanceof ImageListError && err.code === "ERR_IMAGELIST_INVALID" && err.problems.length > 0,
        JSON.stringify(value),
      );
    }
    const list = loadImageListObject({
      images: ["registry.example.com/app:1.0"],
      defaults: { platforms: "all" },
    });
    assert.equal(list.images[0]?.repository, "app");
    assert.equal(list.platforms, "all");
  });
});

describe("a lock given as an object", () => {
  const lock: Lock = {
    lockVersion: 1,
    listHash: DIGEST,
    totals: { images: 0, manifests: 0, blobs: 0, bytes: 0, bytesWithoutDedup: 0 },
    entries: [],
  };

  it("is validated as a lockfile is: the same lock, or ERR_LOCK_INVALID naming <object>", () => {
    const text = encodeLock(lock);
    assert.deepEqual(parseLockObject(load(text)), decodeLock(text, "airlock.lock"));
    for (const value of [null, {}, { ...lock, lockVersion: 99 }, { ...lock, entries: [{ key: 1 }] }]) {
      assert.throws(
        () => parseLockObject(value),
        (err: unknown) =>
          err instanceof Error &&
          (err as { code?: string }).code === "ERR_LOCK_INVALID" &&
          err.message.startsWith("<object> is not an airlock lockfile"),
        JSON.stringify(value),
      );
    }
  });
});
