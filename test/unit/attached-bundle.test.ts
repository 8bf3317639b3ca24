/** The pure parts of carrying attached content: what --platform keeps, index.json's entries read back, one tag's queue. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planBundleContent } from "../../src/bundle/content.js";
import { indexJsonBytes } from "../../src/bundle/layout.js";
import { parseManifest } from "../../src/oci/manifest.js";
import type { Index } from "../../src/oci/types.js";
import type { Lock, LockedArtifact, LockedImage } from "../../src/plan/lock-types.js";
import { attachedOfKept } from "../../src/plan/narrow-attached.js";
import { computeTotals } from "../../src/plan/totals.js";
import { layoutAttached } from "../../src/store/layout-attached.js";
import { findInLayout, layoutRefs } from "../../src/store/layout-index.js";
import { KeyedQueue } from "../../src/util/keyed-queue.js";

const d = (n: number): string => "sha256:" + n.toString(16).padStart(64, "0");
const blob = (n: number): { digest: string; size: number; mediaType: string } => ({
  digest: d(n),
  size: n,
  mediaType: "application/octet-stream",
});
const MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const artifact = (
  kind: LockedArtifact["kind"],
  subject: string,
  n: number,
  tag?: string,
): LockedArtifact => ({
  kind,
  subject,
  ...(tag !== undefined ? { tag } : {}),
  digest: d(n),
  mediaType: MANIFEST,
  size: n,
  ...(kind === "referrer" ? { artifactType: "application/spdx+json" } : {}),
  config: blob(n + 1000),
  layers: [blob(n + 2000)],
});
const platform = (p: string, n: number): LockedImage["platforms"][number] => ({
  platform: p,
  digest: d(n),
  mediaType: MANIFEST,
  size: n,
  config: blob(n + 1000),
  layers: [blob(n + 2000)],
});

/** An index (1) of amd64 (2) and arm64 (3): a sig on each, a referrer on the index with a sig on it. */
const image: LockedImage = {
  reference: "registry.example/team/app:v1",
  tag: "v1",
  digest: d(1),
  mediaType: "application/vnd.oci.image.index.v1+json",
  size: 1,
  platforms: [platform("linux/amd64", 2), platform("linux/arm64", 3)],
  attached: [
    artifact("cosign-sig", d(1), 10, `sha256-${d(1).slice(7)}.sig`),
    artifact("cosign-sig", d(2), 11, `sha256-${d(2).slice(7)}.sig`),
    artifact("cosign-sig", d(3), 12, `sha256-${d(3).slice(7)}.sig`),
    artifact("referrer", d(1), 13),
    artifact("cosign-sig", d(13), 14, `sha256-${d(13).slice(7)}.sig`),
    artifact("cosign-att", d(12), 15, `sha256-${d(12).slice(7)}.att`),
  ],
};

describe("attached content in bundles", () => {
  it("--platform keeps what hangs off the index and the kept platforms, to any depth, and drops the rest", () => {
    const amd64 = attachedOfKept({ ...image, platforms: image.platforms.slice(0, 1) });
    assert.deepEqual(
      amd64?.map((a) => a.digest),
      [d(10), d(11), d(13), d(14)],
    );
    const arm64 = attachedOfKept({ ...image, platforms: image.platforms.slice(1) });
    assert.deepEqual(
      arm64?.map((a) => a.digest),
      [d(10), d(12), d(13), d(14), d(15)],
    );
    assert.equal(attachedOfKept({ ...image, attached: undefined }), undefined);
  });

  it("index.json lists attached entries after the images; read back, they are not images", () => {
    const lock: Lock = {
      lockVersion: 1,
      listHash: d(0),
      attachedRecorded: true,
      entries: [{ key: image.reference, source: image.reference, images: [image] }],
      totals: computeTotals([{ key: "", source: "", images: [image] }]),
    };
    const content = planBundleContent(lock);
    assert.equal(content.attached.length, 6);
    for (const a of image.attached ?? []) {
      assert.ok(content.blobs.some((b) => b.digest === a.digest && b.kind === "manifest"));
      assert.ok(content.blobs.some((b) => b.digest === a.layers[0]?.digest && b.kind === "blob"));
    }
    const parsed = parseManifest(indexJsonBytes(content.images, content.attached));
    assert.equal(parsed.kind, "index");
    const index = (parsed as { index: Index }).index;
    assert.deepEqual(
      layoutRefs(index).map((r) => r.reference),
      [image.reference],
    );
    assert.equal(
      findInLayout(index, undefined, "bundle").digest,
      d(1),
      "the one image, however much is attached",
    );
    const attached = layoutAttached(index);
    assert.deepEqual(
      attached.map((a) => [a.image, a.kind, a.subject, a.tag, a.descriptor.digest]),
      (image.attached ?? []).map((a) => [image.reference, a.kind, a.subject, a.tag, a.digest]),
    );
    assert.equal(attached[3]?.descriptor.artifactType, "application/spdx+json");
    const sig = findInLayout(index, `registry.example/team/app:sha256-${d(1).slice(7)}.sig`, "bundle");
    assert.equal(sig.digest, d(10), "cosign's tags can still be named");
  });

  it("a port in the registry name is not a tag", () => {
    const index: Index = {
      schemaVersion: 2,
      manifests: [
        {
          mediaType: MANIFEST,
          digest: d(5),
          size: 5,
          annotations: {
            "org.opencontainers.image.ref.name": "127.0.0.1:5000/app",
            "dev.airlock.attached.subject": d(1),
          },
        },
      ],
    };
    assert.equal(layoutAttached(index)[0]?.tag, undefined);
  });

  it("one key's tasks run one after another, in order; other keys do not wait", async () => {
    const queue = new KeyedQueue();
    const order: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const first = queue.run("a", async () => {
      order.push("a1 start");
      await gate;
      order.push("a1 end");
    });
    const second = queue.run("a", () => Promise.resolve(void order.push("a2")));
    await queue.run("b", () => Promise.resolve(void order.push("b1")));
    release();
    await Promise.all([first, second]);
    assert.deepEqual(order, ["a1 start", "b1", "a1 end", "a2"]);
    await assert.rejects(queue.run("a", () => Promise.reject(new Error("boom"))));
    assert.equal(await queue.run("a", () => Promise.resolve(7)), 7, "a failure does not block the key");
  });
});
