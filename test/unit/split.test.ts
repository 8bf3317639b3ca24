import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { splitLock } from "../../src/bundle/split.js";
import type { LockedImage } from "../../src/plan/lock-types.js";
import { digestOf, handImage, handLock } from "../harness/hand-lock.js";

const d = digestOf;

/** One platform: manifest `m`, config `m + 1`, one layer `m + 2` of `layer` bytes. */
const image = (name: string, m: number, layer: number): LockedImage =>
  handImage(name, { manifest: m, manifestSize: 500, configSize: 1000, layers: [{ n: m + 2, size: layer }] });
const lockOf = handLock;

describe("splitLock", () => {
  const lock = lockOf(image("a", 100, 600_000), image("b", 200, 600_000), image("c", 300, 600_000));

  it("keeps each image whole and every part under the size", () => {
    const parts = splitLock(lock, 1_000_000);
    assert.deepEqual(
      parts.map((p) => p.entries.map((e) => e.key)),
      [["r.example/a:v1"], ["r.example/b:v1"], ["r.example/c:v1"]],
    );
  });

  it("sizes a delta's parts by what they carry: left-out layers take no room", () => {
    const omitted = new Set([d(102), d(202), d(302)]);
    const parts = splitLock(lock, 1_000_000, omitted);
    assert.equal(parts.length, 1);
    assert.equal(parts[0]?.entries.length, 3);
  });
});
