/**
 * The race the one copy engine closes: many images that share layers,
 * copied at once into one registry. Distribution 2.8 answered manifest PUTs
 * with DIGEST_INVALID / MANIFEST_BLOB_UNKNOWN when two copies uploaded one
 * blob at the same time; with one CopySession per run the first copy of a
 * blob uploads it and the others wait, then mount.
 */
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { getManifest } from "../../src/verbs/read.js";
import { syncImages } from "../../src/verbs/sync.js";
import { pushNode } from "../harness/fixture-push.js";
import { buildImage, buildLayer, type BuiltImage } from "../harness/image-builder.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";

const IMAGES = 12;
const RUNS = 20;
const platform = { os: "linux", architecture: "amd64" };

describe("sync of images that share layers, concurrently, into one registry", () => {
  let source: TestRegistry;
  let dest: TestRegistry;
  let file: string;
  const images: BuiltImage[] = [];

  before(async () => {
    [source, dest] = await Promise.all([startRegistry("plain"), startRegistry("plain")]);
    const base = await buildLayer([
      { path: "base/" },
      { path: "base/os-release", content: "ID=test\n".repeat(4000) },
    ]);
    const mid = await buildLayer([
      { path: "lib/" },
      { path: "lib/shared.so", content: "shared ".repeat(8000) },
    ]);
    for (let i = 0; i < IMAGES; i++) {
      const own = await buildLayer([{ path: "app/" }, { path: `app/${i}`, content: `app ${i}\n` }]);
      const layers = i % 2 === 0 ? [base, mid, own] : [base, own];
      const image = buildImage(i % 3 === 0 ? "docker" : "oci", platform, layers, {
        labels: { n: String(i) },
      });
      images.push(image);
      await pushNode(source.url, `apps/app${i}`, image, ["v1"]);
    }
    const dir = await mkdtemp(join(tmpdir(), "airlock-sync-shared-"));
    file = join(dir, "sync.yaml");
    const entries = images.map((_, i) => `    apps/app${i}: [v1]`).join("\n");
    await writeFile(file, `${source.host}:\n  tls-verify: false\n  images:\n${entries}\n`);
  });
  it("uploads a blob the images share once per run and mounts it everywhere else", async () => {
    await syncImages(file, `${dest.host}/once`, { concurrency: IMAGES });
    const base = images[0]?.layers[0]?.digest ?? "";
    const log = dest.logs().split("\n");
    const uploads = log.filter((l) => /"PUT \/v2\/once\//.test(l) && l.includes(base.slice(7)));
    const mounts = log.filter(
      (l) =>
        /"POST \/v2\/once\//.test(l) &&
        (l.includes(`mount=${base}`) || l.includes(`mount=sha256%3A${base.slice(7)}`)),
    );
    assert.equal(uploads.length, 1, uploads.join("\n"));
    assert.equal(mounts.length, IMAGES - 1);
  });
  after(async () => Promise.all([source.stop(), dest.stop()]));

  it(`copies ${IMAGES} images at once, ${RUNS} times in a row, and every manifest PUT succeeds`, async () => {
    for (let run = 0; run < RUNS; run++) {
      const synced = await syncImages(file, `${dest.host}/run${run}`, { concurrency: IMAGES });
      assert.equal(synced.length, IMAGES);
      for (let i = 0; i < IMAGES; i++) {
        const got = await getManifest(`${dest.host}/run${run}/app${i}:v1`);
        assert.equal(got.digest, images[i]?.digest, `run ${run}: app${i}`);
      }
    }
  });
});
