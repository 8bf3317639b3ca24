import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { load } from "js-yaml";
import type { Lock, LockedImage } from "../../src/plan/lock-types.js";
import { formatRepository, parseReference } from "../../src/ref/reference.js";
import { runAirlock } from "../harness/cli.js";
import { startSeededRegistry, type FixtureSet } from "../harness/fixtures.js";
import type { TestRegistry } from "../harness/registry.js";
import { runSkopeo } from "../harness/tools.js";

const sha256 = (b: Buffer): string => "sha256:" + createHash("sha256").update(b).digest("hex");

describe("airlock lock against the real registry", () => {
  let registry: TestRegistry;
  let fixtures: FixtureSet;
  let dir: string;
  let host: string;

  before(async () => {
    ({ registry, fixtures } = await startSeededRegistry("plain"));
    host = registry.host;
    dir = await mkdtemp(join(tmpdir(), "airlock-lock-"));
  });
  after(async () => registry.stop());

  const airlockYaml = (): string => {
    const pinned = fixtures.byRef("fixtures/single-docker:v1").digest;
    return `defaults:
  platforms: [linux/amd64, linux/arm64]
images:
  - ${host}/fixtures/multi-oci:v1
  - ${host}/fixtures/multi-docker:v1
  - ref: ${host}/skopeo/multi-oci:v1
    platforms: [linux/arm64]
  - ref: ${host}/fixtures/single-oci:v1
    platforms: [linux/amd64]
  - ref: ${host}/fixtures/single-docker@${pinned}
    platforms: [linux/amd64]
  - ref: ${host}/fixtures/tags
    semver: ">=1.1.0"
    platforms: [linux/amd64]
`;
  };

  const lockAt = async (file: string): Promise<Lock> => load(await readFile(file, "utf8")) as Lock;
  const skopeoRaw = async (ref: string): Promise<Buffer> =>
    (await runSkopeo(["inspect", "--raw", "--tls-verify=false", `docker://${ref}`])).stdout;

  it("pins every digest and size exactly as skopeo reads them, and a re-run is byte-identical", async () => {
    const list = join(dir, "airlock.yaml");
    await writeFile(list, airlockYaml());
    const first = await runAirlock(["lock", "-f", list]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /wrote .*airlock\.lock/);
    const lockFile = join(dir, "airlock.lock");
    const bytes = await readFile(lockFile);
    const lock = await lockAt(lockFile);
    const images = lock.entries.flatMap((e) => e.images);
    assert.equal(images.length, 8);
    await Promise.all(images.map((image) => checkAgainstSkopeo(image)));

    const second = await runAirlock(["lock", "-f", list, "--update"]);
    assert.equal(second.code, 0, second.stderr);
    assert.ok((await readFile(lockFile)).equals(bytes), "a re-resolved lock is byte-identical");
  });

  it("lock --update NAME that names no entry is exit 2 with the closest entry, and writes nothing", async () => {
    const list = join(dir, "update-names.yaml");
    await writeFile(list, airlockYaml());
    const lockFile = join(dir, "update-names.lock");
    assert.equal((await runAirlock(["lock", "-f", list])).code, 0);
    const before = await readFile(lockFile);
    const typo = await runAirlock(["lock", "-f", list, "--update", `${host}/fixtures/multi-ocii:v1`]);
    assert.equal(typo.code, 2, typo.stderr);
    assert.match(typo.stderr, new RegExp(`did you mean "${host}/fixtures/multi-oci:v1"`));
    assert.equal(typo.stderr.trim().split("\n").length, 1, typo.stderr);
    // A short name: docker.io/library/single-oci is not this registry's; the entry is suggested.
    const short = await runAirlock(["lock", "-f", list, "--update", "single-oci"]);
    assert.equal(short.code, 2, short.stderr);
    assert.match(short.stderr, new RegExp(`"${host}/fixtures/single-oci:v1"`));
    assert.ok((await readFile(lockFile)).equals(before), "nothing written");
    const byRepository = await runAirlock(["lock", "-f", list, "--update", `${host}/fixtures/multi-oci`]);
    assert.equal(byRepository.code, 0, byRepository.stderr);
  });

  async function checkAgainstSkopeo(image: LockedImage): Promise<void> {
    const top = await skopeoRaw(image.reference);
    assert.equal(sha256(top), image.digest, image.reference);
    assert.equal(top.length, image.size);
    const name = formatRepository(parseReference(image.reference));
    for (const p of image.platforms) {
      const raw = await skopeoRaw(`${name}@${p.digest}`);
      assert.equal(sha256(raw), p.digest);
      assert.equal(raw.length, p.size);
      const m = JSON.parse(raw.toString()) as {
        config: { digest: string; size: number };
        layers: { digest: string; size: number }[];
      };
      assert.deepEqual(
        { digest: p.config.digest, size: p.config.size },
        { digest: m.config.digest, size: m.config.size },
      );
      assert.deepEqual(
        p.layers.map((l) => [l.digest, l.size]),
        m.layers.map((l) => [l.digest, l.size]),
      );
    }
  }

  it("lock --check passes, then fails naming the edited entry, with no network", async () => {
    const list = join(dir, "check.yaml");
    await writeFile(list, airlockYaml());
    assert.equal((await runAirlock(["lock", "-f", list])).code, 0);
    const ok = await runAirlock(["lock", "--check", "-f", list]);
    assert.equal(ok.code, 0, ok.stderr);
    await writeFile(list, airlockYaml().replace("platforms: [linux/arm64]", "platforms: [linux/amd64]"));
    await registry.stop().catch(() => undefined);
    const stale = await runAirlock(["lock", "--check", "-f", list]);
    assert.equal(stale.code, 1, stale.stderr);
    assert.match(stale.stderr, /check\.yaml:\d+:\d+ .*skopeo\/multi-oci:v1: not in/);
    assert.match(stale.stderr, /out of date/);
    ({ registry, fixtures } = await startSeededRegistry("plain"));
    host = registry.host;
  });

  it("skopeo sync YAML, mindthegap images.yaml and a text list lock to the same images as airlock.yaml", async () => {
    const h = host;
    const lists: Record<string, string> = {
      "same.yaml": `images:\n  - ${h}/fixtures/multi-oci:v1\n  - ${h}/fixtures/tags:1.0.0\n  - ${h}/fixtures/tags:2.0.0\n`,
      "sync.yaml": `${h}:\n  tls-verify: false\n  images:\n    fixtures/multi-oci: [v1]\n    fixtures/tags: ["1.0.0", "2.0.0"]\n`,
      "images.yaml": `${h}:\n  tlsVerify: false\n  images:\n    fixtures/multi-oci: [v1]\n    fixtures/tags: ["1.0.0", "2.0.0"]\n`,
      "images.txt": `# the same three\n${h}/fixtures/multi-oci:v1\n${h}/fixtures/tags:1.0.0\n\n${h}/fixtures/tags:2.0.0\n`,
    };
    const pinned: string[][] = [];
    for (const [name, text] of Object.entries(lists)) {
      const file = join(dir, name);
      await writeFile(file, text);
      const res = await runAirlock(["lock", "-f", file]);
      assert.equal(res.code, 0, `${name}: ${res.stderr}`);
      const lock = await lockAt(join(dir, name.replace(/\.[a-z]+$/, ".lock")));
      pinned.push(
        lock.entries
          .flatMap((e) =>
            e.images.map((i) => `${i.reference} ${i.digest} ${i.platforms.map((p) => p.digest).join(",")}`),
          )
          .sort(),
      );
    }
    assert.equal(pinned[0]?.length, 3);
    for (const other of pinned.slice(1)) assert.deepEqual(other, pinned[0]);
  });

  it("a failing entry leaves an existing lock untouched", async () => {
    const list = join(dir, "keep.yaml");
    await writeFile(list, `images:\n  - ${host}/fixtures/single-oci:v1\n`);
    assert.equal((await runAirlock(["lock", "-f", list])).code, 0);
    const before = await readFile(join(dir, "keep.lock"));
    await writeFile(
      list,
      `images:\n  - ${host}/fixtures/single-oci:v1\n  - ${host}/fixtures/single-oci:no-such-tag\n`,
    );
    const res = await runAirlock(["lock", "-f", list]);
    assert.equal(res.code, 3, res.stderr);
    assert.match(res.stderr, /keep\.yaml:3:\d+ .*no-such-tag: .*not found/);
    assert.ok((await readFile(join(dir, "keep.lock"))).equals(before));
  });
});
