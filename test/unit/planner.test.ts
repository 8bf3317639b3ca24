import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { ImageEntry, ImageList } from "../../src/imagelist/types.js";
import { checkLock } from "../../src/plan/check.js";
import { diffLocks } from "../../src/plan/diff.js";
import { formatDiffMarkdown, formatDiffText } from "../../src/plan/diff-format.js";
import { decodeLock, encodeLock } from "../../src/plan/lock-file.js";
import { PlanError, planLock } from "../../src/plan/planner.js";
import { fixtureResolver, testEntry, type MemoryResolver } from "../harness/memory-resolver.js";

const R = "registry.test";
const list = (...images: ImageEntry[]): ImageList => ({
  file: "test.yaml",
  format: "airlock",
  platforms: ["linux/amd64"],
  registries: {},
  images,
});

describe("planLock", () => {
  let resolver: MemoryResolver;
  before(async () => {
    resolver = await fixtureResolver();
  });

  it("locks the selected platforms of an index, keeping the index digest, skipping attestations", async () => {
    const lock = await planLock(
      list(testEntry(`${R}/fixtures/multi-oci:v1`, { platforms: ["linux/amd64", "linux/arm/v7"] })),
      resolver,
    );
    const image = lock.entries[0]?.images[0];
    assert.ok(image);
    const top = await resolver.manifest(R, "fixtures/multi-oci", "v1");
    assert.equal(image.digest, top.digest);
    assert.equal(image.size, top.size);
    assert.deepEqual(
      image.platforms.map((p) => p.platform),
      ["linux/amd64", "linux/arm/v7"],
    );
    for (const p of image.platforms) assert.ok(p.layers.length >= 2 && p.config.digest.startsWith("sha256:"));
  });

  it("takes every runnable platform with 'all', never unknown/unknown", async () => {
    const lock = await planLock(
      list(testEntry(`${R}/fixtures/multi-oci:v1`, { platforms: "all" })),
      resolver,
    );
    assert.deepEqual(
      lock.entries[0]?.images[0]?.platforms.map((p) => p.platform),
      ["linux/amd64", "linux/arm/v7", "linux/arm64"],
    );
  });

  it("carries the attestation of a selected platform, and only then", async () => {
    const withAmd = await planLock(
      list(testEntry(`${R}/fixtures/multi-oci:v1`, { platforms: "all" })),
      resolver,
    );
    const image = withAmd.entries[0]?.images[0];
    const amd = image?.platforms.find((p) => p.platform === "linux/amd64");
    assert.equal(image?.attestations?.length, 1);
    assert.equal(image?.attestations?.[0]?.subject, amd?.digest);
    const armOnly = await planLock(
      list(testEntry(`${R}/fixtures/multi-oci:v1`, { platforms: ["linux/arm64"] })),
      resolver,
    );
    assert.equal(armOnly.entries[0]?.images[0]?.attestations, undefined);
  });

  it("normalises arm64/v8 and reads a single image's platform from its config", async () => {
    const lock = await planLock(
      list(
        testEntry(`${R}/fixtures/multi-oci:v1`, { platforms: ["linux/arm64"] }),
        testEntry(`${R}/fixtures/single-docker:v1`),
      ),
      resolver,
    );
    const platforms = lock.entries.flatMap((e) =>
      e.images.flatMap((i) => i.platforms.map((p) => p.platform)),
    );
    assert.deepEqual(platforms.sort(), ["linux/amd64", "linux/arm64"]);
  });

  it("reports every failing entry at once, naming the platforms an image has", async () => {
    const err = await planLock(
      list(
        testEntry(`${R}/fixtures/multi-docker:v1`, { platforms: ["linux/s390x"] }),
        testEntry(`${R}/fixtures/nope:v1`),
        testEntry(`${R}/fixtures/single-oci:v1`),
      ),
      resolver,
    ).catch((e: unknown) => e);
    assert.ok(err instanceof PlanError);
    assert.equal(err.problems.length, 2);
    assert.match(
      err.message,
      /test\.yaml:1:3 .*multi-docker:v1: .*has no linux\/s390x; it has: linux\/amd64, linux\/arm64/,
    );
    assert.match(err.message, /nope:v1: .*not found/);
  });

  it("skips missing platforms of an optionalPlatforms entry", async () => {
    const lock = await planLock(
      list(
        testEntry(`${R}/fixtures/multi-docker:v1`, {
          platforms: ["linux/amd64", "linux/s390x"],
          optionalPlatforms: true,
        }),
      ),
      resolver,
    );
    assert.deepEqual(
      lock.entries[0]?.images[0]?.platforms.map((p) => p.platform),
      ["linux/amd64"],
    );
  });

  it("expands tag lists, regexes and semver ranges", async () => {
    const repo = `${R}/fixtures/tags`;
    const lock = await planLock(
      list(
        testEntry(repo, { selector: { kind: "semver", range: ">=1.1.0 <2" } }),
        testEntry(repo, { selector: { kind: "regex", pattern: "^2\\." } }),
        testEntry(repo, { selector: { kind: "tags", tags: ["latest", "1.0.0"] } }),
      ),
      resolver,
    );
    const refs = (key: string): string[] =>
      lock.entries.find((e) => e.key.includes(key))?.images.map((i) => i.tag ?? "") ?? [];
    assert.deepEqual(refs("semver"), ["1.1.0", "1.2.0"]);
    assert.deepEqual(refs("tag-regex"), ["2.0.0"]);
    assert.deepEqual(refs("tags="), ["1.0.0", "latest"]);
  });

  it("pins by digest, and keeps tag@digest", async () => {
    const top = await resolver.manifest(R, "fixtures/single-oci", "v1");
    const lock = await planLock(
      list(
        testEntry(`${R}/fixtures/single-oci@${top.digest}`),
        testEntry(`${R}/fixtures/single-oci:v1@${top.digest}`),
      ),
      resolver,
    );
    const refs = lock.entries.flatMap((e) => e.images.map((i) => i.reference)).sort();
    assert.deepEqual(refs, [
      `${R}/fixtures/single-oci:v1@${top.digest}`,
      `${R}/fixtures/single-oci@${top.digest}`,
    ]);
  });

  it("counts shared blobs once", async () => {
    const lock = await planLock(
      list(
        testEntry(`${R}/fixtures/multi-oci:v1`, { platforms: "all" }),
        testEntry(`${R}/fixtures/single-oci:v1`),
      ),
      resolver,
    );
    assert.ok(lock.totals.bytes < lock.totals.bytesWithoutDedup);
    assert.equal(lock.totals.images, 2);
  });

  it("keeps unchanged entries' pins without asking, and re-resolves on update", async () => {
    const l = list(testEntry(`${R}/fixtures/multi-oci:v1`));
    const first = await planLock(l, resolver);
    const calls = resolver.calls.length;
    const second = await planLock(l, resolver, { previous: first });
    assert.equal(resolver.calls.length, calls, "no resolver call for an unchanged entry");
    assert.equal(encodeLock(second), encodeLock(first));
    await planLock(l, resolver, { previous: first, update: ["registry.test/fixtures/multi-oci"] });
    assert.ok(resolver.calls.length > calls);
  });

  it("encodes deterministically and decodes what it encodes", async () => {
    const l = list(
      testEntry(`${R}/fixtures/multi-oci:v1`, { platforms: "all" }),
      testEntry(`${R}/fixtures/tags:1.0.0`),
    );
    const a = encodeLock(await planLock(l, resolver, { concurrency: 1 }));
    const b = encodeLock(await planLock(l, resolver, { concurrency: 16 }));
    assert.equal(a, b);
    assert.deepEqual(decodeLock(a, "x.lock"), decodeLock(b, "y.lock"));
    assert.throws(() => decodeLock("lockVersion: 2\n", "bad.lock"), { code: "ERR_LOCK_INVALID" });
  });

  it("checks a lock against its list without a resolver", async () => {
    const l = list(testEntry(`${R}/fixtures/multi-oci:v1`), testEntry(`${R}/fixtures/single-oci:v1`));
    const lock = await planLock(l, resolver);
    assert.equal(checkLock(l, lock).upToDate, true);
    const edited = list(testEntry(`${R}/fixtures/multi-oci:v1`, { platforms: ["linux/arm64"] }));
    const result = checkLock(edited, lock);
    assert.equal(result.upToDate, false);
    assert.deepEqual(
      result.unlocked.map((u) => u.source),
      [`${R}/fixtures/multi-oci:v1`],
    );
    assert.equal(result.stale.length, 2);
  });

  it("diffs two locks: added, removed, moved per platform, new bytes", async () => {
    const v1 = await planLock(
      list(
        testEntry(`${R}/fixtures/multi-oci:v1`, { platforms: "all" }),
        testEntry(`${R}/fixtures/single-docker:v1`),
      ),
      resolver,
    );
    const moved = await resolver.manifest(R, "fixtures/multi-oci", "v2");
    const v2 = await planLock(
      list(
        testEntry(`${R}/fixtures/multi-oci:v2`, { platforms: "all" }),
        testEntry(`${R}/fixtures/single-oci:v1`),
      ),
      resolver,
    );
    // Pretend v2's content was published under the v1 tag: a tag that moved.
    const renamed = structuredClone(v2);
    for (const e of renamed.entries)
      for (const i of e.images) i.reference = i.reference.replace(":v2", ":v1");
    const d = diffLocks(v1, renamed);
    assert.deepEqual(
      d.added.map((a) => a.reference),
      [`${R}/fixtures/single-oci:v1`],
    );
    assert.deepEqual(
      d.removed.map((a) => a.reference),
      [`${R}/fixtures/single-docker:v1`],
    );
    assert.equal(d.moved[0]?.to, moved.digest);
    assert.equal(d.moved[0]?.platforms.length, 3);
    assert.ok(d.newContent.bytes > 0 && d.newContent.count > 0);
    assert.match(formatDiffText(d), /~ registry\.test\/fixtures\/multi-oci:v1 sha256:/);
    assert.match(formatDiffMarkdown(d), /\| moved \| `registry\.test\/fixtures\/multi-oci:v1` \|/);
  });
});
