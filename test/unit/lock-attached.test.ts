import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatProblem, parseImageList } from "../../src/imagelist/index.js";
import { diffLocks } from "../../src/plan/diff.js";
import { formatDiffText } from "../../src/plan/diff-format.js";
import { entryKey } from "../../src/plan/entry-key.js";
import { decodeLock, encodeLock } from "../../src/plan/lock-file.js";
import type { Lock, LockedArtifact, LockedImage } from "../../src/plan/lock-types.js";
import { computeTotals } from "../../src/plan/totals.js";

const d = (n: number): string => "sha256:" + n.toString(16).padStart(64, "0");
const blob = (n: number): { digest: string; size: number; mediaType: string } => ({
  digest: d(n),
  size: n,
  mediaType: "application/octet-stream",
});
const artifact = (
  kind: LockedArtifact["kind"],
  subject: string,
  n: number,
  artifactType?: string,
): LockedArtifact => ({
  kind,
  subject,
  digest: d(n),
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  size: n,
  ...(artifactType !== undefined ? { artifactType } : {}),
  config: blob(n + 1000),
  layers: [blob(n + 2000)],
});

function image(top: number, amd64: number, attached: LockedArtifact[]): LockedImage {
  return {
    reference: "r.example/app:v1",
    tag: "v1",
    digest: d(top),
    mediaType: "application/vnd.oci.image.index.v1+json",
    size: 10,
    platforms: [
      {
        platform: "linux/amd64",
        digest: d(amd64),
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        size: 20,
        config: blob(30),
        layers: [blob(40)],
      },
    ],
    ...(attached.length > 0 ? { attached } : {}),
  };
}

function lockOf(...images: LockedImage[]): Lock {
  const entries = [{ key: "r.example/app:v1 platforms=linux/amd64", source: "r.example/app:v1", images }];
  return { lockVersion: 1, listHash: d(999), entries, totals: computeTotals(entries) };
}

describe("attached content in the lock", () => {
  it("encodes in a fixed order whatever order it was found in, and decodes against the schema", () => {
    const a = [artifact("referrer", d(1), 7, "application/spdx+json"), artifact("cosign-sig", d(1), 5)];
    const one = encodeLock(lockOf(image(1, 2, a)));
    const two = encodeLock(lockOf(image(1, 2, [...a].reverse())));
    assert.equal(one, two);
    const decoded = decodeLock(one, "x.lock");
    assert.deepEqual(
      decoded.entries[0]?.images[0]?.attached?.map((x) => x.kind),
      ["cosign-sig", "referrer"],
    );
  });

  it("a lock without attached content stays valid", () => {
    assert.doesNotThrow(() => decodeLock(encodeLock(lockOf(image(1, 2, []))), "old.lock"));
  });

  it("totals count attached manifests and their blobs once each", () => {
    const plain = lockOf(image(1, 2, [])).totals;
    const signed = lockOf(image(1, 2, [artifact("cosign-sig", d(1), 5)])).totals;
    assert.equal(signed.manifests, plain.manifests + 1);
    assert.equal(signed.blobs, plain.blobs + 2);
    assert.equal(signed.bytes, plain.bytes + 5 + 1005 + 2005);
  });
});

describe("diff of attached content", () => {
  it("a re-signed image is a changed signature, a dropped referrer is removed, a new one added", () => {
    const before = lockOf(
      image(1, 2, [artifact("cosign-sig", d(1), 5), artifact("referrer", d(2), 6, "application/spdx+json")]),
    );
    const after = lockOf(
      image(1, 2, [artifact("cosign-sig", d(1), 8), artifact("referrer", d(1), 9, "application/spdx+json")]),
    );
    const diff = diffLocks(before, after);
    assert.deepEqual(
      diff.attached.map((c) => [c.change, c.kind, c.on, c.from, c.to]),
      [
        ["changed", "cosign-sig", "image", d(5), d(8)],
        ["added", "referrer", "image", undefined, d(9)],
        ["removed", "referrer", "linux/amd64", d(6), undefined],
      ],
    );
    assert.match(formatDiffText(diff), /~ signature on image: /);
  });

  it("a moved image whose new digest is signed too shows a changed signature, not one added and one removed", () => {
    const before = lockOf(image(1, 2, [artifact("cosign-sig", d(1), 5)]));
    const after = lockOf(image(3, 4, [artifact("cosign-sig", d(3), 6)]));
    const diff = diffLocks(before, after);
    assert.equal(diff.moved.length, 1);
    assert.deepEqual(
      diff.attached.map((c) => c.change),
      ["changed"],
    );
  });

  it("unchanged attached content is no change", () => {
    const lock = lockOf(image(1, 2, [artifact("cosign-att", d(2), 5)]));
    assert.deepEqual(diffLocks(lock, lock).attached, []);
    assert.equal(formatDiffText(diffLocks(lock, lock)), "no changes\n");
  });
});

describe("signatures, referrers and artifactTypes in airlock.yaml", () => {
  const parse = (text: string): string[] => {
    const { list, problems } = parseImageList(text, "airlock.yaml");
    assert.deepEqual(problems.map(formatProblem), []);
    return (list?.images ?? []).map(entryKey);
  };

  it("the default adds nothing to the entry key; settings do, entries over defaults", () => {
    const keys = parse(`defaults:
  signatures: false
images:
  - r.example/a:1
  - ref: r.example/b:1
    signatures: true
  - ref: r.example/c:1
    referrers: false
  - ref: r.example/d:1
    signatures: true
    artifactTypes: [b/y, a/x, a/x]
`);
    assert.deepEqual(keys, [
      "r.example/a:1 platforms=linux/amd64 signatures=false",
      "r.example/b:1 platforms=linux/amd64",
      "r.example/c:1 platforms=linux/amd64 signatures=false referrers=false",
      "r.example/d:1 platforms=linux/amd64 artifact-types=a/x,b/y",
    ]);
  });

  it("a wrong type is a schema problem", () => {
    const { problems } = parseImageList(
      "images:\n  - ref: r.example/a:1\n    signatures: yes-please\n",
      "airlock.yaml",
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0]?.path ?? "", /signatures/);
  });
});
