import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { load } from "js-yaml";
import { verifyBundle } from "../../src/bundle/verify.js";
import type { Lock } from "../../src/plan/lock-types.js";
import {
  flipByteInBlob,
  repackWith,
  repackWithAbsurdSize,
  truncateAfterBlob,
  truncateInBlob,
  type TarEntry,
} from "../harness/bundle-tamper.js";
import { makeBundle } from "../harness/bundles.js";
import { isOneCleanLine, runAirlock } from "../harness/cli.js";
import { startFaultProxy } from "../harness/fault-proxy.js";
import { startSeededRegistry } from "../harness/fixtures.js";
import { expectedImages, type ExpectedImage } from "../harness/push-order.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";
import { runSkopeo } from "../harness/tools.js";

const sha256 = (b: Buffer): string => "sha256:" + createHash("sha256").update(b).digest("hex");
const evil = `airlock-evil-${randomBytes(6).toString("hex")}`;
const fakeBlob = (c: string): string => `blobs/sha256/${c.repeat(64)}`;
const file = (name: string, text = "evil"): TarEntry => ({
  header: { name, type: "file", size: Buffer.byteLength(text), mode: 0o644 },
  body: Buffer.from(text),
});

describe("verify-bundle and push-bundle refuse damaged and hostile bundles", () => {
  let a: TestRegistry;
  let b: TestRegistry;
  let good: string;
  let images: ExpectedImage[];
  let work: string;
  let journal: string;

  before(async () => {
    [{ registry: a }, b] = await Promise.all([startSeededRegistry("plain"), startRegistry("plain")]);
    const made = await makeBundle(`images:
  - ref: ${a.host}/fixtures/multi-oci:v1
    platforms: all
  - ${a.host}/fixtures/single-oci:v1
  - ${a.host}/fixtures/single-docker:v1
`);
    good = made.bundle;
    images = expectedImages(load(await readFile(made.lock, "utf8")) as Lock);
    work = await mkdtemp(join(tmpdir(), "airlock-corrupt-"));
    journal = join(work, "journal.jsonl");
  });
  after(async () => Promise.all([a.stop(), b.stop()]));

  const push = (bundles: string[], to: string) =>
    runAirlock(["push-bundle", ...bundles, "--to", to, "--quiet", "--journal", journal]);

  /** A layer only `victim` uses, so flipping it must fail that image alone. */
  function uniqueLayer(): { victim: ExpectedImage; digest: string } {
    const uses = new Map<string, number>();
    for (const d of images.flatMap((i) => [...new Set(i.blobs)])) uses.set(d, (uses.get(d) ?? 0) + 1);
    for (const victim of images) {
      const digest = victim.blobs.find((d) => uses.get(d) === 1);
      if (digest !== undefined) return { victim, digest };
    }
    throw new Error("every blob of the bundle is shared");
  }

  it("a flipped byte in a layer: verify-bundle exits 6 naming the blob", async () => {
    const { digest } = uniqueLayer();
    const flipped = join(work, "flipped.tar");
    await flipByteInBlob(good, flipped, digest);
    const res = await runAirlock(["verify-bundle", flipped]);
    assert.equal(res.code, 6, res.stderr);
    assert.ok(res.stderr.includes(digest), res.stderr);
  });

  it("a flipped byte: push-bundle fails that image naming the blob and never writes its tag; the others land", async () => {
    const { victim, digest } = uniqueLayer();
    const flipped = join(work, "flipped-push.tar");
    await flipByteInBlob(good, flipped, digest);
    const c = await startRegistry("plain");
    const proxy = await startFaultProxy(c.url);
    try {
      const res = await push([flipped], proxy.host);
      assert.equal(res.code, 6, res.stderr);
      assert.ok(res.stderr.includes(digest), res.stderr);
      const tagPath = `/v2/${victim.repository}/manifests/${victim.tag}`;
      assert.deepEqual(
        proxy.log.filter((e) => e.method === "PUT" && e.path.split("?")[0] === tagPath),
        [],
      );
      assert.ok(!proxy.log.some((e) => e.method === "PUT" && e.path.includes(victim.digest)));
      for (const image of images.filter((i) => i !== victim)) {
        const ref = `docker://${c.host}/${image.repository}:${image.tag}`;
        const raw = (await runSkopeo(["inspect", "--raw", ...c.skopeoFlags(), ref])).stdout;
        assert.equal(sha256(raw), image.digest, image.reference);
      }
    } finally {
      await Promise.all([proxy.close(), c.stop()]);
    }
  });

  const hostile: [string, (dest: string) => Promise<void>][] = [
    ["an entry ../evil", (d) => repackWith(good, d, [file(`../${evil}`)])],
    ["an absolute path /tmp/evil", (d) => repackWith(good, d, [file(`/tmp/${evil}`)])],
    [
      "a long (pax) name climbing out",
      (d) => repackWith(good, d, [file(`blobs/${"x".repeat(120)}/../../../${evil}`)]),
    ],
    [
      "a symlink",
      (d) =>
        repackWith(good, d, [{ header: { name: fakeBlob("e"), type: "symlink", linkname: `/tmp/${evil}` } }]),
    ],
    [
      "a hardlink",
      (d) => repackWith(good, d, [{ header: { name: fakeBlob("f"), type: "link", linkname: "index.json" } }]),
    ],
    [
      "a duplicate entry",
      (d) => repackWith(good, d, [file("index.json", '{"schemaVersion":2,"manifests":[]}')]),
    ],
    ["a header claiming 10^12 bytes", (d) => repackWithAbsurdSize(good, d, fakeBlob("a"), 10n ** 12n)],
    ["a tar cut in the middle of a blob", (d) => truncateInBlob(good, d, uniqueLayer().digest)],
    ["a tar cut between two entries", (d) => truncateAfterBlob(good, d, uniqueLayer().digest)],
  ];

  for (const [name, make] of hostile) {
    it(`${name}: verify-bundle and push-bundle refuse it with one line, exit 6`, async () => {
      const bundle = join(work, `${name.replace(/\W+/g, "-")}.tar`);
      await make(bundle);
      await assert.rejects(verifyBundle(bundle), { code: "ERR_BUNDLE_CORRUPT" });
      // Behind a good bundle: nothing of it is pushed either, the damaged one stops the run first.
      for (const res of [await runAirlock(["verify-bundle", bundle]), await push([good, bundle], b.host)]) {
        assert.equal(res.code, 6, res.stderr);
        assert.ok(isOneCleanLine(res.stderr), res.stderr);
        assert.ok(res.stderr.includes(bundle), res.stderr);
      }
    });
  }

  it("nothing of the hostile bundles was written anywhere, and B holds no repository", async () => {
    const names = await readdir(work, { recursive: true });
    assert.deepEqual(
      names.filter((n) => n.includes(evil)),
      [],
    );
    for (const dir of ["/tmp", tmpdir(), dirname(work), dirname(good), process.cwd()]) {
      assert.equal(existsSync(join(dir, evil)), false, join(dir, evil));
    }
    const catalog = (await (await fetch(`${b.url}/v2/_catalog`)).json()) as { repositories: string[] };
    assert.deepEqual(catalog.repositories, []);
  });
});
