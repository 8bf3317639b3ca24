import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { splitLock } from "../../src/bundle/split.js";
import type { Lock, LockedImage } from "../../src/plan/lock-types.js";
import { computeTotals } from "../../src/plan/totals.js";

const d = (n: number): string => "sha256:" + n.toString(16).padStart(64, "0");
const blob = (n: number, size: number): { digest: string; size: number; mediaType: string } => ({
  digest: d(n),
  size,
  mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
});

/** One platform: manifest `m`, config `m + 1`, one layer `m + 2` of `layer` bytes. */
function image(name: string, m: number, layer: number): LockedImage {
  return {
    reference: `r.example/${name}:v1`,
    tag: "v1",
    digest: d(m),
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    size: 500,
    platforms: [
      {
        platform: "linux/amd64",
        digest: d(m),
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        size: 500,
        config: blob(m + 1, 1000),
        layers: [blob(m + 2, layer)],
      },
    ],
  };
}

function lockOf(...images: LockedImage[]): Lock {
  const entries = images.map((i) => ({ key: i.reference, source: i.reference, images: [i] }));
  return { lockVersion: 1, listHash: d(999), entries, totals: computeTotals(entries) };
}

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
