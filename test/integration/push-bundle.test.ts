import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { load } from "js-yaml";
import type { Lock, LockedImage } from "../../src/plan/lock-types.js";
import { parseReference } from "../../src/ref/reference.js";
import { makeBundle } from "../harness/bundles.js";
import { runAirlock } from "../harness/cli.js";
import { startSeededRegistry, type FixtureSet } from "../harness/fixtures.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";
import { runSkopeo } from "../harness/tools.js";

const sha256 = (b: Buffer): string => "sha256:" + createHash("sha256").update(b).digest("hex");

interface PushJson {
  images: { reference: string; repository: string; tag?: string; digest: string; status: string }[];
  failures: { reference: string; message: string }[];
  stats: { uploaded: number; mounted: number; skipped: number; tags: number };
}

describe("push-bundle: round trip between two real registries", () => {
  let a: TestRegistry;
  let b: TestRegistry;
  let fixtures: FixtureSet;
  let made: Awaited<ReturnType<typeof makeBundle>>;
  let state: string;

  before(async () => {
    [{ registry: a, fixtures }, b] = await Promise.all([
      startSeededRegistry("plain"),
      startRegistry("token"),
    ]);
    state = await mkdtemp(join(tmpdir(), "airlock-state-"));
    const pinned = fixtures.byRef("fixtures/single-docker:v1").digest;
    made = await makeBundle(`defaults:
  platforms: [linux/amd64, linux/arm64]
images:
  - ref: ${a.host}/fixtures/multi-oci:v1
    platforms: all
  - ${a.host}/fixtures/multi-docker:v1
  - ${a.host}/skopeo/multi-oci:v1
  - ref: ${a.host}/fixtures/single-oci:v1
    platforms: [linux/amd64]
  - ref: ${a.host}/fixtures/single-docker@${pinned}
    platforms: [linux/amd64]
  - ref: ${a.host}/fixtures/multi-oci:v2
    platforms: [linux/arm64]
`);
  });
  after(async () => Promise.all([a.stop(), b.stop()]));

  const flagsB = (): string[] => ["--authfile", authFile, "--journal", join(state, "journal.jsonl")];
  let authFile = "";
  const push = async (bundle: string, ...extra: string[]): Promise<PushJson> => {
    const res = await runAirlock([
      "push-bundle",
      bundle,
      "--to",
      `${b.host}/site`,
      "--json",
      "--quiet",
      ...flagsB(),
      ...extra,
    ]);
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout.toString()) as PushJson;
  };
  const rawIn = async (registry: TestRegistry, ref: string): Promise<Buffer> =>
    (await runSkopeo(["inspect", "--raw", ...registry.skopeoFlags(), `docker://${ref}`])).stdout;

  it("verify-bundle accepts the bundle", async () => {
    const res = await runAirlock(["verify-bundle", made.bundle]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /: ok \(6 images/);
  });

  it("every reference lands in B with the digest it has in A; a sparse index becomes an index of the carried platforms", async () => {
    const { writeAuthFile } = await import("../harness/cli.js");
    authFile = await writeAuthFile(b);
    const result = await push(made.bundle);
    assert.deepEqual(result.failures, []);
    const lock = load(await readFile(made.lock, "utf8")) as Lock;
    for (const image of lock.entries.flatMap((e) => e.images)) await checkLanded(image, result);
  });

  async function checkLanded(image: LockedImage, result: PushJson): Promise<void> {
    const { repository, tag } = parseReference(image.reference);
    const outcome = result.images.find((i) => i.reference === image.reference);
    assert.ok(outcome, image.reference);
    assert.equal(outcome.repository, `site/${repository}`);
    const target = `${b.host}/site/${repository}${tag !== undefined ? `:${tag}` : `@${image.digest}`}`;
    const raw = await rawIn(b, target);
    if (image.reference.endsWith("multi-oci:v2")) {
      assert.equal(outcome.status, "filtered", "registry:2 refuses a sparse index");
      const index = JSON.parse(raw.toString()) as { manifests: { digest: string }[] };
      assert.deepEqual(
        index.manifests.map((m) => m.digest),
        image.platforms.map((p) => p.digest),
      );
    } else {
      assert.equal(sha256(raw), image.digest, image.reference);
      assert.deepEqual(raw, await rawIn(a, image.reference));
    }
    for (const p of image.platforms) {
      assert.equal(sha256(await rawIn(b, `${b.host}/site/${repository}@${p.digest}`)), p.digest);
    }
  }

  it("pushing the same bundle again uploads no blob and writes no tag", async () => {
    const again = await push(made.bundle);
    assert.equal(again.stats.uploaded, 0);
    assert.equal(again.stats.tags, 0);
    assert.ok(
      again.images.every((i) => i.status === "unchanged"),
      JSON.stringify(again.images.map((i) => i.status)),
    );
  });

  it("a second bundle sharing layers uploads only the new blobs", async () => {
    const second = await makeBundle(`images:
  - ${a.host}/fixtures/tags:1.0.0
  - ${a.host}/fixtures/single-oci:v1
`);
    const lock = load(await readFile(second.lock, "utf8")) as Lock;
    const firstLock = load(await readFile(made.lock, "utf8")) as Lock;
    const have = new Set(
      firstLock.entries.flatMap((e) =>
        e.images.flatMap((i) =>
          i.platforms.flatMap((p) => [p.config.digest, ...p.layers.map((l) => l.digest)]),
        ),
      ),
    );
    const fresh = new Set(
      lock.entries
        .flatMap((e) =>
          e.images.flatMap((i) =>
            i.platforms.flatMap((p) => [p.config.digest, ...p.layers.map((l) => l.digest)]),
          ),
        )
        .filter((d) => !have.has(d)),
    );
    const result = await push(second.bundle);
    assert.deepEqual(result.failures, []);
    assert.equal(result.stats.uploaded, fresh.size);
    assert.ok(result.stats.mounted > 0, "the shared base layer is mounted, not uploaded");
  });

  it("--mapping names repositories by the longest matching rule; a bad mapping file stops the run before anything is pushed", async () => {
    const c = await startRegistry("plain");
    try {
      const pushTo = (mapping: string): Promise<Awaited<ReturnType<typeof runAirlock>>> =>
        runAirlock([
          "push-bundle",
          made.bundle,
          "--to",
          c.host,
          "--mapping",
          mapping,
          "--json",
          "--quiet",
          "--journal",
          join(state, "mapped.jsonl"),
        ]);
      const bad = join(state, "bad-mapping.yaml");
      await writeFile(bad, `mappings:\n  - from: ${a.host}/fixtures\n`);
      const refused = await pushTo(bad);
      assert.equal(refused.code, 2, refused.stderr);
      // With --json the error is one JSON object on stderr.
      assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);
      const error = JSON.parse(refused.stderr) as { code: string; message: string };
      assert.equal(error.code, "ERR_USAGE");
      assert.match(error.message, /bad-mapping\.yaml: mappings\[0\] needs "from".*"to"/);
      assert.equal((await runAirlock(["catalog", c.host])).stdout.toString(), "");

      const good = join(state, "mapping.yaml");
      await writeFile(
        good,
        `mappings:\n  - from: ${a.host}/fixtures\n    to: mirror/fx\n  - from: ${a.host}/fixtures/multi-oci\n    to: special/multi\n`,
      );
      const res = await pushTo(good);
      assert.equal(res.code, 0, res.stderr);
      const result = JSON.parse(res.stdout.toString()) as PushJson;
      const repoOf = (ref: string): string | undefined =>
        result.images.find((i) => i.reference === `${a.host}/${ref}`)?.repository;
      assert.equal(repoOf("fixtures/multi-oci:v1"), "special/multi");
      assert.equal(repoOf("fixtures/single-oci:v1"), "mirror/fx/single-oci");
      assert.equal(repoOf("skopeo/multi-oci:v1"), "skopeo/multi-oci", "no rule: the default naming");
      const digest = fixtures.byRef("fixtures/multi-oci:v1").digest;
      assert.equal(sha256(await rawIn(c, `${c.host}/special/multi:v1`)), digest);
    } finally {
      await c.stop();
    }
  });

  it("--dry-run writes nothing and says what it would upload", async () => {
    const c = await startRegistry("plain");
    try {
      const res = await runAirlock([
        "push-bundle",
        made.bundle,
        "--to",
        c.host,
        "--dry-run",
        "--json",
        "--quiet",
        "--journal",
        join(state, "dry.jsonl"),
      ]);
      assert.equal(res.code, 0, res.stderr);
      const json = JSON.parse(res.stdout.toString()) as { stats: { bytesToUpload: number } };
      assert.ok(json.stats.bytesToUpload > 0);
      const catalog = await runAirlock(["catalog", c.host]);
      assert.equal(catalog.stdout.toString(), "");
    } finally {
      await c.stop();
    }
  });
  it("--dry-run counts what the push then does: the same blobs and bytes uploaded, mounted and skipped", async () => {
    const d = await startRegistry("plain");
    type Stats = { uploaded: number; mounted: number; skipped: number; bytesUploaded: number };
    type DryStats = { blobsToUpload: number; bytesToUpload: number; mounted: number; skipped: number };
    const journal = join(state, "dry-then-real.jsonl");
    const run = async (to: string, dry: boolean): Promise<Stats & DryStats> => {
      const args = ["push-bundle", made.bundle, "--to", to, "--json", "--quiet", "--journal", journal];
      const res = await runAirlock(dry ? [...args, "--dry-run"] : args);
      assert.equal(res.code, 0, res.stderr);
      return (JSON.parse(res.stdout.toString()) as { stats: Stats & DryStats }).stats;
    };
    try {
      // Into an empty registry, then under a second prefix, where the journal knows every blob.
      for (const to of [`${d.host}/one`, `${d.host}/two`]) {
        const dry = await run(to, true);
        const real = await run(to, false);
        assert.equal(dry.bytesToUpload, real.bytesUploaded, to);
        assert.equal(dry.blobsToUpload, real.uploaded, to);
        assert.equal(dry.mounted, real.mounted, to);
        assert.equal(dry.skipped, real.skipped, to);
      }
    } finally {
      await d.stop();
    }
  });
});
