import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { extract } from "tar-stream";
import { createReadStream } from "node:fs";
import { load } from "js-yaml";
import type { Lock } from "../../src/plan/lock-types.js";
import { runAirlock, type CliResult } from "../harness/cli.js";
import { startSeededRegistry, type FixtureSet } from "../harness/fixtures.js";
import type { TestRegistry } from "../harness/registry.js";
import { runSkopeo } from "../harness/tools.js";

const run = promisify(execFile);
const sha256 = (b: Buffer): string => "sha256:" + createHash("sha256").update(b).digest("hex");

/** Every entry of a tar: name → bytes (bundles in tests are small). */
async function readTar(file: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const ex = extract();
  ex.on("entry", (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: unknown) => chunks.push(c as Buffer));
    stream.on("end", () => {
      out.set(header.name, Buffer.concat(chunks));
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    ex.on("finish", resolve);
    ex.on("error", reject);
  });
  createReadStream(file).pipe(ex);
  await done;
  return out;
}

describe("airlock create-bundle against the real registry", () => {
  let registry: TestRegistry;
  let fixtures: FixtureSet;
  let dir: string;
  let list: string;

  before(async () => {
    ({ registry, fixtures } = await startSeededRegistry("plain"));
    dir = await mkdtemp(join(tmpdir(), "airlock-bundle-"));
    list = join(dir, "airlock.yaml");
    const host = registry.host;
    const pinned = fixtures.byRef("fixtures/single-docker:v1").digest;
    await writeFile(
      list,
      `defaults:
  platforms: [linux/amd64, linux/arm64]
images:
  - ref: ${host}/fixtures/multi-oci:v1
    platforms: all
  - ref: ${host}/fixtures/multi-oci:v2
    platforms: [linux/arm/v7]
  - ${host}/fixtures/multi-docker:v1
  - ${host}/skopeo/multi-oci:v1
  - ref: ${host}/fixtures/single-oci:v1
    platforms: [linux/amd64]
  - ref: ${host}/fixtures/single-docker@${pinned}
    platforms: [linux/amd64]
`,
    );
  });
  after(async () => registry.stop());

  const bundle = async (
    name: string,
    ...extra: string[]
  ): Promise<{ file: string; json: Record<string, unknown> }> => {
    const file = join(dir, "out", name);
    await mkdir(join(dir, "out"), { recursive: true });
    const res = await runAirlock(["create-bundle", "-f", list, "-o", file, "--json", ...extra]);
    assert.equal(res.code, 0, res.stderr);
    return { file, json: JSON.parse(res.stdout.toString()) as Record<string, unknown> };
  };

  it("writes a deterministic bundle: same bytes with another concurrency and a cold cache", async () => {
    const a = await bundle("a.tar", "--cache", join(dir, "cache-a"));
    const b = await bundle("b.tar", "--cache", join(dir, "cache-b"), "--concurrency", "1");
    await run("cmp", [a.file, b.file]);
    // The lock that create-bundle writes first keeps its manifests and configs in the same cache.
    assert.equal(
      Number(a.json.downloaded) + Number(a.json.cached),
      Number(a.json.manifests) + Number(a.json.blobs),
    );
    assert.ok(Number(a.json.downloaded) > 0);
    const warm = await bundle("c.tar", "--cache", join(dir, "cache-a"));
    assert.equal(warm.json.downloaded, 0, "a warm cache downloads nothing");
    await run("cmp", [a.file, warm.file]);
    const sums = await readFile(`${a.file}.sha256`, "utf8");
    assert.equal(sums, `${sha256(await readFile(a.file)).slice(7)}  a.tar\n`);
    await run("sha256sum", ["-c", "a.tar.sha256"], { cwd: join(dir, "out") });
    assert.deepEqual(
      (await readdir(join(dir, "out"))).filter((n) => n.endsWith(".partial")),
      [],
    );
  });

  it("holds each locked blob once, index.json descriptors equal the lock, and carries the lock", async () => {
    const { file } = await bundle("d.tar", "--cache", join(dir, "cache-a"));
    const entries = await readTar(file);
    const lock = load((entries.get("airlock.lock") ?? Buffer.alloc(0)).toString()) as Lock;
    assert.deepEqual(lock, load(await readFile(join(dir, "airlock.lock"), "utf8")));
    const index = JSON.parse((entries.get("index.json") ?? Buffer.alloc(0)).toString()) as {
      manifests: { mediaType: string; digest: string; size: number; annotations: Record<string, string> }[];
    };
    const images = lock.entries.flatMap((e) => e.images);
    assert.equal(index.manifests.length, images.length);
    for (const image of images) {
      const d = index.manifests.find(
        (m) => m.annotations["org.opencontainers.image.ref.name"] === image.reference,
      );
      assert.ok(d, image.reference);
      assert.deepEqual([d.digest, d.mediaType, d.size], [image.digest, image.mediaType, image.size]);
      assert.equal(d.annotations["io.containerd.image.name"], image.reference);
      const reached = [
        image.digest,
        ...image.platforms.flatMap((p) => [p.digest, p.config.digest, ...p.layers.map((l) => l.digest)]),
      ];
      for (const digest of reached) {
        const blob = entries.get(`blobs/sha256/${digest.slice(7)}`);
        assert.ok(blob, `${image.reference}: ${digest} in the tar`);
        assert.equal(sha256(blob), digest);
      }
    }
    const blobNames = [...entries.keys()].filter((n) => n.startsWith("blobs/sha256/") && n.length > 13);
    assert.equal(new Set(blobNames).size, blobNames.length, "each blob once");
    assert.equal(blobNames.length, lock.totals.manifests + lock.totals.blobs);
  });

  it("lock, create-bundle, verify-bundle and inspect-bundle count manifests and blobs alike", async () => {
    const { file, json } = await bundle("counts.tar", "--cache", join(dir, "cache-a"));
    const lock = load(await readFile(join(dir, "airlock.lock"), "utf8")) as Lock;
    assert.deepEqual([json.manifests, json.blobs], [lock.totals.manifests, lock.totals.blobs]);
    const verify = await runAirlock(["verify-bundle", file, "--json"]);
    const [report] = JSON.parse(verify.stdout.toString()) as { manifests: number; blobs: number }[];
    assert.deepEqual([report?.manifests, report?.blobs], [lock.totals.manifests, lock.totals.blobs]);
    const inspect = await runAirlock(["inspect-bundle", file, "--json"]);
    const summary = JSON.parse(inspect.stdout.toString()) as { manifests: number; blobs: number };
    assert.deepEqual([summary.manifests, summary.blobs], [lock.totals.manifests, lock.totals.blobs]);
    const says = new RegExp(
      `${lock.totals.manifests} manifests, ${lock.totals.blobs} blobs \\(layers and configs\\)`,
    );
    const output = (res: CliResult): string => res.stdout.toString() + res.stderr;
    assert.match(output(await runAirlock(["lock", "-f", list])), says);
    assert.match(output(await runAirlock(["verify-bundle", file])), says);
    assert.match(output(await runAirlock(["inspect-bundle", file])), says);
  });

  it("--split writes parts that are each a valid, verifiable layout of whole images", async () => {
    const { json } = await bundle("split.tar", "--cache", join(dir, "cache-a"), "--split", "32K");
    const parts = json.parts as { file: string; size: number; images: number }[];
    assert.ok(parts.length > 1, `expected several parts, got ${parts.length}`);
    const lock = load(await readFile(join(dir, "airlock.lock"), "utf8")) as Lock;
    const refs: string[] = [];
    for (const part of parts) {
      assert.ok(part.size < 32 * 1024, `${part.file} is ${part.size} bytes`);
      const verified = await runAirlock(["verify-bundle", part.file]);
      assert.equal(verified.code, 0, verified.stderr);
      const index = JSON.parse((await readTar(part.file)).get("index.json")?.toString() ?? "{}") as {
        manifests: { annotations: Record<string, string> }[];
      };
      refs.push(...index.manifests.map((m) => m.annotations["org.opencontainers.image.ref.name"] ?? ""));
    }
    assert.deepEqual(refs.sort(), lock.entries.flatMap((e) => e.images.map((i) => i.reference)).sort());
    const sums = (await readFile(join(dir, "out", "split.tar.sha256"), "utf8")).trim().split("\n");
    assert.equal(sums.length, parts.length);
    await run("sha256sum", ["-c", "split.tar.sha256"], { cwd: join(dir, "out") });
  });

  it("skopeo reads the OCI-typed references with the lock's digests and copies a complete one", async () => {
    const { file } = await bundle("e.tar", "--cache", join(dir, "cache-a"));
    const lock = load(await readFile(join(dir, "airlock.lock"), "utf8")) as Lock;
    const ociImages = lock.entries.flatMap((e) => e.images).filter((i) => i.mediaType.includes("oci"));
    assert.ok(ociImages.length >= 4);
    for (const image of ociImages) {
      const raw = (await runSkopeo(["inspect", "--raw", `oci-archive:${file}:${image.reference}`])).stdout;
      assert.equal(sha256(raw), image.digest, image.reference);
    }
    const complete = `${registry.host}/fixtures/multi-oci:v1`;
    const dest = `docker://${registry.host}/copied/multi-oci:v1`;
    await runSkopeo([
      "copy",
      "--all",
      "--preserve-digests",
      "--dest-tls-verify=false",
      `oci-archive:${file}:${complete}`,
      dest,
    ]);
    const copied = (await runSkopeo(["inspect", "--raw", "--tls-verify=false", dest])).stdout;
    assert.equal(sha256(copied), fixtures.byRef("fixtures/multi-oci:v1").digest);
  });
});
