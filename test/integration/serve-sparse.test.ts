// airlock serve over a bundle with filtered multi-platform images (sparse indexes): the README's
// example, `skopeo copy --all` by tag, works, because a tag names an index of the carried
// platforms (the bytes push-bundle writes where a registry refuses the sparse index); the
// upstream index still answers by its digest, byte for byte, and a carried platform by its own.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeBundle } from "../harness/bundles.js";
import { runAirlock } from "../harness/cli.js";
import { spawnAirlock, type CliProcess } from "../harness/cli-process.js";
import { startSeededRegistry, type FixtureSet } from "../harness/fixtures.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";
import { runSkopeo } from "../harness/tools.js";

const sha256 = (b: Buffer): string => "sha256:" + createHash("sha256").update(b).digest("hex");

interface ServeJson {
  url: string;
  carried: { reference: string; repository: string; tag: string; upstream: string; served: string }[];
}

describe("airlock serve: filtered multi-platform images", () => {
  let upstream: TestRegistry;
  let fixtures: FixtureSet;
  let bundle: string;
  let serve: CliProcess;
  let host: string;
  let served: ServeJson;

  before(async () => {
    ({ registry: upstream, fixtures } = await startSeededRegistry("plain"));
    const made = await makeBundle(`images:
  - ${upstream.host}/fixtures/multi-oci:v1
  - ${upstream.host}/fixtures/single-oci:v1
`);
    bundle = made.bundle;
    serve = await spawnAirlock(["serve", bundle, "--listen", "127.0.0.1:0", "--json", "-v"]);
    served = await new Promise<ServeJson>((resolve, reject) => {
      let out = "";
      serve.child.stdout?.on("data", (c: Buffer) => {
        out += c.toString("utf8");
        if (out.includes("}\n")) resolve(JSON.parse(out) as ServeJson);
      });
      void serve.ended.then((end) => reject(new Error(`serve ended: ${end.stderr}`)));
    });
    host = served.url.replace(/^http:\/\//, "");
  });
  after(async () => {
    await serve.kill();
    await upstream.stop();
  });

  const raw = async (ref: string): Promise<Buffer> =>
    (await runSkopeo(["inspect", "--raw", "--tls-verify=false", `docker://${host}/${ref}`])).stdout;

  it("says which tags name a new index, and that the upstream digest still answers", () => {
    const multi = fixtures.byRef("fixtures/multi-oci:v1");
    assert.equal(served.carried.length, 1);
    const [c] = served.carried;
    assert.equal(c?.repository, "fixtures/multi-oci");
    assert.equal(c?.tag, "v1");
    assert.equal(c?.upstream, multi.digest);
    assert.notEqual(c?.served, multi.digest);
  });

  it("the tag names an index of the carried platform; the upstream index digest answers byte for byte", async () => {
    const multi = fixtures.byRef("fixtures/multi-oci:v1");
    const byTag = await raw("fixtures/multi-oci:v1");
    const index = JSON.parse(byTag.toString()) as { manifests: { digest: string }[] };
    const amd64 = multi.platforms.find((p) => p.platform === "linux/amd64");
    assert.ok(amd64);
    // amd64 (the default platform) and its attestation, if the fixture has one; no other platform.
    const carried = multi.platforms.filter(
      (p) => p.platform === "linux/amd64" || p.platform === "unknown/unknown",
    );
    const listed = index.manifests.map((m) => m.digest);
    assert.ok(listed.includes(amd64.digest));
    assert.ok(
      listed.every((d) => carried.some((p) => p.digest === d)),
      JSON.stringify(listed),
    );
    assert.equal(sha256(byTag), served.carried[0]?.served);
    assert.deepEqual(await raw(`fixtures/multi-oci@${multi.digest}`), multi.bytes);
    assert.equal(sha256(await raw(`fixtures/multi-oci@${amd64.digest}`)), amd64.digest);
  });

  it("the README's example: skopeo copy --all by tag into a registry, with the digest push-bundle would give", async () => {
    const site = await startRegistry("plain");
    try {
      const dir = await mkdtemp(join(tmpdir(), "airlock-serve-sparse-"));
      for (const path of ["fixtures/multi-oci:v1", "fixtures/single-oci:v1"]) {
        await runSkopeo([
          ...["copy", "--all", "--preserve-digests", "--quiet"],
          ...["--src-tls-verify=false", "--dest-tls-verify=false"],
          `docker://${host}/${path}`,
          `docker://${site.host}/${path}`,
        ]);
        assert.deepEqual(
          (await runSkopeo(["inspect", "--raw", ...site.skopeoFlags(), `docker://${site.host}/${path}`]))
            .stdout,
          await raw(path),
          path,
        );
      }
      // push-bundle into a registry:2 gives the tag the same digest as serve does.
      const push = await runAirlock([
        ...[
          "push-bundle",
          bundle,
          "--to",
          `${site.host}/pushed`,
          "--journal",
          join(dir, "journal"),
          "--json",
        ],
      ]);
      assert.equal(push.code, 0, push.stderr);
      const result = JSON.parse(push.stdout.toString()) as {
        digestMap: { upstream: string; site: string }[];
      };
      assert.deepEqual(
        result.digestMap.map((c) => [c.upstream, c.site]),
        served.carried.map((c) => [c.upstream, c.served]),
      );
      assert.ok(
        (await readFile(join(dir, "journal.digests"), "utf8")).includes(
          `s/${served.carried[0]?.upstream ?? ""}/`,
        ),
      );
    } finally {
      await site.stop();
    }
  });
});
