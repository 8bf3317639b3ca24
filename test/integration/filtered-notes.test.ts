// lock and create-bundle say, before any push, which images will change digest at a registry
// that refuses sparse indexes, and warn about pins by index digest with a platform filter.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { formatPlatform, parsePlatform } from "../../src/oci/platform.js";
import { runAirlock } from "../harness/cli.js";
import { startSeededRegistry, type FixtureSet } from "../harness/fixtures.js";
import type { TestRegistry } from "../harness/registry.js";

interface Filtered {
  reference: string;
  digest: string;
  platforms: string[];
  leftOut: string[];
  pinnedByDigest: boolean;
}

describe("lock and create-bundle: filtered multi-platform indexes are told before they change digest", () => {
  let registry: TestRegistry;
  let fixtures: FixtureSet;
  let dir: string;
  let list: string;
  let pinned: string;

  before(async () => {
    ({ registry, fixtures } = await startSeededRegistry("plain"));
    dir = await mkdtemp(join(tmpdir(), "airlock-filtered-"));
    list = join(dir, "airlock.yaml");
    const index = fixtures.byRef("fixtures/multi-oci:v1").digest;
    pinned = `${registry.host}/fixtures/multi-oci@${index}`;
    await writeFile(
      list,
      `images:
  - ${registry.host}/fixtures/multi-oci:v1
  - ref: ${pinned}
    platforms: [linux/arm64]
  - ref: ${registry.host}/fixtures/multi-docker:v1
    platforms: all
  - ${registry.host}/fixtures/single-oci:v1
`,
    );
  });
  after(async () => registry.stop());

  const expected = (): Filtered[] => {
    const multi = fixtures.byRef("fixtures/multi-oci:v1");
    const runnable = multi.platforms
      .filter((p) => p.platform !== "unknown/unknown")
      .map((p) => formatPlatform(parsePlatform(p.platform)));
    return [
      {
        reference: `${registry.host}/fixtures/multi-oci:v1`,
        digest: multi.digest,
        platforms: ["linux/amd64"],
        leftOut: runnable.filter((p) => p !== "linux/amd64"),
        pinnedByDigest: false,
      },
      {
        reference: pinned,
        digest: multi.digest,
        platforms: ["linux/arm64"],
        leftOut: runnable.filter((p) => p !== "linux/arm64"),
        pinnedByDigest: true,
      },
    ];
  };

  it("lock names the filtered indexes in a note and warns about the index-digest pin; --json has them", async () => {
    const cache = ["--cache", join(dir, "cache")];
    const res = await runAirlock(["lock", "-f", list, ...cache]);
    assert.equal(res.code, 0, res.stderr);
    const notes = res.stderr.split("\n").filter((l) => l.startsWith("note: "));
    assert.equal(notes.length, 1, res.stderr);
    assert.ok(notes[0]?.includes(`${registry.host}/fixtures/multi-oci:v1`), notes[0]);
    assert.ok(notes[0]?.includes("platforms: all"), "the hint names what keeps the digest");
    assert.ok(!notes[0]?.includes("multi-docker"), "platforms: all keeps the digest: not named");
    const warnings = res.stderr.split("\n").filter((l) => l.startsWith("airlock: warning: "));
    assert.equal(warnings.length, 1, res.stderr);
    assert.ok(warnings[0]?.includes(pinned), warnings[0]);
    const json = await runAirlock(["lock", "-f", list, ...cache, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual((JSON.parse(json.stdout.toString()) as { filtered: Filtered[] }).filtered, expected());
  });

  it("create-bundle says the same, and --json has them", async () => {
    const args = ["create-bundle", "-f", list, "--cache", join(dir, "cache"), "-o", join(dir, "b.tar")];
    const res = await runAirlock([...args, "--json"]);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual((JSON.parse(res.stdout.toString()) as { filtered: Filtered[] }).filtered, expected());
    const plain = await runAirlock(args);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stderr.split("\n").filter((l) => l.startsWith("note: ")).length, 1, plain.stderr);
    assert.match(plain.stderr, /airlock: warning: .*pinned by its index digest/);
  });
});
