/**
 * push-bundle carries what a bundle holds attached to its images into the target, after each
 * image and into its repository: cosign's .sig/.att/.sbom as tags, OCI referrers by digest, and
 * (Distribution 2.8 has no referrers API) the fallback tag sha256-<hex> written with an index of
 * the referrers, merged with what is there, never listing one twice, even when two pushes of
 * different referrers of one subject run at once. copy and sync --referrers do the same registry
 * to registry. serve answers the referrers API for a bundle and serves cosign's tags.
 * Through the CLI against the real registry; skopeo reads what arrived.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { MediaType } from "../../src/oci/media-types.js";
import { connectRegistry } from "../../src/registry/connect.js";
import { addToReferrersTag } from "../../src/registry/referrers-tag.js";
import type { Index } from "../../src/oci/types.js";
import { serveRegistry } from "../../src/serve/server.js";
import type { PushBundleResult } from "../../src/verbs/push-bundle.js";
import {
  buildReferrer,
  buildReferrersIndex,
  SBOM_ARTIFACT_TYPE,
  SCAN_ARTIFACT_TYPE,
} from "../harness/attached-images.js";
import { runAirlock } from "../harness/cli.js";
import { startFaultProxy } from "../harness/fault-proxy.js";
import { digestTag, type SignedFixture } from "../harness/fixture-images.js";
import { manifestGet, pushNode } from "../harness/fixture-push.js";
import { startSeededRegistry } from "../harness/fixtures.js";
import { jsonBlob } from "../harness/image-builder.js";
import { pushBundleArgs } from "../harness/push-checks.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";
import { runSkopeo } from "../harness/tools.js";

const sha256 = (b: Buffer): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const REPO = "site/fixtures/signed";

describe("push-bundle, copy, sync and serve carry signatures, attestations, SBOMs and referrers", () => {
  let registry: TestRegistry;
  let signed: SignedFixture;
  let dir: string;
  let bundle: string;
  const targets: TestRegistry[] = [];

  /** A bundle of signed:v1 (every platform) made with the CLI from list lines of the entry. */
  const makeBundle = async (name: string, entry: string[] = []): Promise<string> => {
    const list = join(dir, `${name}.yaml`);
    const ref = `${registry.host}/${signed.name}:${signed.tag}`;
    await writeFile(
      list,
      ["images:", `  - ref: ${ref}`, "    platforms: all", ...entry.map((l) => `    ${l}`), ""].join("\n"),
    );
    const out = join(dir, `${name}.tar`);
    const made = await runAirlock([
      "create-bundle",
      "-f",
      list,
      "-o",
      out,
      "--cache",
      join(dir, "cache"),
      "--quiet",
    ]);
    assert.equal(made.code, 0, made.stderr);
    return out;
  };
  const emptyTarget = async (): Promise<TestRegistry> => {
    const target = await startRegistry("plain");
    targets.push(target);
    return target;
  };
  const push = async (file: string, target: TestRegistry, journal: string): Promise<PushBundleResult> => {
    const run = await runAirlock(pushBundleArgs(file, target.host, { dir, name: journal }));
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout.toString()) as PushBundleResult;
  };
  /** The digest of the manifest `ref` (a tag or "@digest") names in the target, read by skopeo. */
  const skopeoDigest = async (target: TestRegistry, ref: string): Promise<string> => {
    const at = ref.startsWith("@") ? ref : `:${ref}`;
    const raw = await runSkopeo([
      "inspect",
      "--raw",
      ...target.skopeoFlags(),
      `docker://${target.host}/${REPO}${at}`,
    ]);
    return sha256(raw.stdout);
  };
  const fallbackIndex = async (target: TestRegistry, subject: string): Promise<Index> => {
    const got = await manifestGet(target.url, REPO, digestTag(subject));
    return JSON.parse(got.bytes.toString("utf8")) as Index;
  };

  before(async () => {
    let fixtures;
    ({ registry, fixtures } = await startSeededRegistry("plain"));
    signed = fixtures.signed;
    dir = await mkdtemp(join(tmpdir(), "airlock-push-attached-"));
    bundle = await makeBundle("all");
  });
  after(async () => {
    for (const t of targets) await t.stop();
    await registry.stop();
  });

  it("round trip into an empty registry: the image, cosign's tags and every referrer with identical digests; the fallback tag lists the referrers", async () => {
    const b = await emptyTarget();
    const result = await push(bundle, b, "round-trip");
    assert.equal(result.failures.length, 0);
    assert.equal(result.images[0]?.attached?.length, 7);
    assert.equal(await skopeoDigest(b, signed.tag), signed.node.digest);
    const tagged: [string, string][] = [
      [digestTag(signed.node.digest, "sig"), signed.signature.digest],
      [digestTag(signed.node.digest, "att"), signed.attestation.digest],
      [digestTag(signed.node.digest, "sbom"), signed.sbom.digest],
      [digestTag(signed.platforms[0]?.digest ?? "", "sig"), signed.platformSignature.digest],
      [digestTag(signed.referrers.sbom.digest, "sig"), signed.referrerSignature.digest],
    ];
    for (const [tag, digest] of tagged) assert.equal(await skopeoDigest(b, tag), digest, tag);
    for (const r of [signed.referrers.sbom, signed.referrers.scan]) {
      assert.equal(await skopeoDigest(b, `@${r.digest}`), r.digest);
    }
    const index = await fallbackIndex(b, signed.node.digest);
    assert.equal(index.mediaType, MediaType.OciIndex);
    assert.deepEqual(
      index.manifests.map((d) => [d.digest, d.artifactType]).sort(),
      [
        [signed.referrers.sbom.digest, SBOM_ARTIFACT_TYPE],
        [signed.referrers.scan.digest, SCAN_ARTIFACT_TYPE],
      ].sort(),
    );

    // A second push changes nothing: the same tags, the fallback index unchanged, no duplicates.
    const before = await manifestGet(b.url, REPO, digestTag(signed.node.digest));
    const again = await push(bundle, b, "round-trip");
    assert.deepEqual(
      again.images[0]?.attached?.map((a) => a.status),
      Array<string>(7).fill("unchanged"),
    );
    const after = await manifestGet(b.url, REPO, digestTag(signed.node.digest));
    assert.equal(after.digest, before.digest);
    assert.equal((await fallbackIndex(b, signed.node.digest)).manifests.length, 2);
  });

  it("a registry with the referrers API lists referrers itself: no fallback tag is written", async () => {
    const b = await emptyTarget();
    // Distribution 2.8 has no referrers API: a proxy answers it, as a registry that has one would.
    const proxy = await startFaultProxy(b.url);
    try {
      const empty = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
      const api = { kind: "json" as const, status: 200, body: empty, contentType: MediaType.OciIndex };
      proxy.addRule({ method: "GET", path: /\/referrers\//, times: Infinity, action: api });
      const run = await runAirlock(pushBundleArgs(bundle, proxy.host, { dir, name: "api" }));
      assert.equal(run.code, 0, run.stderr);
      assert.ok(
        proxy.log.some((e) => e.path.includes("/referrers/")),
        "the push asked for the API",
      );
      for (const r of [signed.referrers.sbom, signed.referrers.scan]) {
        assert.equal(await skopeoDigest(b, `@${r.digest}`), r.digest);
      }
      assert.equal(await skopeoDigest(b, digestTag(signed.node.digest, "sig")), signed.signature.digest);
      const tag = await fetch(`${b.url}/v2/${REPO}/manifests/${digestTag(signed.node.digest)}`);
      await tag.arrayBuffer();
      assert.equal(tag.status, 404);
    } finally {
      await proxy.close();
    }
  });

  it("a fallback index already in the target with another referrer is merged, that referrer kept", async () => {
    const b = await emptyTarget();
    const other = buildReferrer(signed.node, "application/vnd.example.other", {
      ...jsonBlob({ other: true }),
      mediaType: "application/vnd.example.other",
    });
    await pushNode(b.url, REPO, other, []);
    await pushNode(b.url, REPO, buildReferrersIndex([other]), [digestTag(signed.node.digest)]);
    const dry = await runAirlock([
      ...pushBundleArgs(bundle, b.host, { dir, name: "merge-dry" }),
      "--dry-run",
    ]);
    assert.equal(dry.code, 0, dry.stderr);
    const planned = JSON.parse(dry.stdout.toString()) as PushBundleResult;
    assert.ok(planned.images[0]?.attached?.every((a) => a.status === "would-copy"));
    assert.deepEqual(
      (await fallbackIndex(b, signed.node.digest)).manifests.map((d) => d.digest),
      [other.digest],
      "a dry run writes nothing",
    );
    await push(bundle, b, "merge");
    const index = await fallbackIndex(b, signed.node.digest);
    assert.deepEqual(
      index.manifests.map((d) => d.digest).sort(),
      [other.digest, signed.referrers.sbom.digest, signed.referrers.scan.digest].sort(),
    );
    assert.equal(index.manifests[0]?.digest, other.digest, "what was there stays first");
  });

  it("two pushes at once of different referrers of one subject lose neither", async () => {
    const b = await emptyTarget();
    const bare = await makeBundle("bare", ["signatures: false", "referrers: false"]);
    await push(bare, b, "bare");
    const sbomOnly = await makeBundle("sbom-only", [
      "signatures: false",
      `artifactTypes: [${SBOM_ARTIFACT_TYPE}]`,
    ]);
    const scanOnly = await makeBundle("scan-only", [
      "signatures: false",
      `artifactTypes: [${SCAN_ARTIFACT_TYPE}]`,
    ]);
    await Promise.all([push(sbomOnly, b, "sbom"), push(scanOnly, b, "scan")]);
    const index = await fallbackIndex(b, signed.node.digest);
    assert.deepEqual(
      index.manifests.map((d) => d.digest).sort(),
      [signed.referrers.sbom.digest, signed.referrers.scan.digest].sort(),
    );
  });

  it("two writers that read the fallback tag before either writes (two clients: two processes) still list both", async () => {
    const b = await emptyTarget();
    const [x, y] = await Promise.all([
      connectRegistry(b.host, { env: {} }),
      connectRegistry(b.host, { env: {} }),
    ]);
    try {
      const subject = signed.node.digest;
      const referrer = (
        r: typeof signed.referrers.sbom,
      ): { mediaType: string; digest: string; size: number } => ({
        mediaType: r.mediaType,
        digest: r.digest,
        size: r.size,
      });
      for (const r of [signed.referrers.sbom, signed.referrers.scan]) await pushNode(b.url, REPO, r, []);
      const written = await Promise.all([
        addToReferrersTag(x, REPO, subject, [referrer(signed.referrers.sbom)]),
        addToReferrersTag(y, REPO, subject, [referrer(signed.referrers.scan)]),
      ]);
      assert.deepEqual(written, ["listed", "listed"]);
      assert.deepEqual(
        (await fallbackIndex(b, subject)).manifests.map((d) => d.digest).sort(),
        [signed.referrers.sbom.digest, signed.referrers.scan.digest].sort(),
      );
    } finally {
      await Promise.all([x.close(), y.close()]);
    }
  });

  /** Every attached manifest of signed:v1 is in `repo` of `b` under its cosign tag or digest; the fallback tag lists the referrers. */
  const assertAttachedIn = async (b: TestRegistry, repo: string): Promise<void> => {
    const inRepo = async (ref: string): Promise<string> => {
      const at = ref.startsWith("sha256:") ? `@${ref}` : `:${ref}`;
      return sha256(
        (await runSkopeo(["inspect", "--raw", ...b.skopeoFlags(), `docker://${b.host}/${repo}${at}`])).stdout,
      );
    };
    assert.equal(await inRepo(digestTag(signed.node.digest, "sig")), signed.signature.digest);
    assert.equal(await inRepo(digestTag(signed.node.digest, "att")), signed.attestation.digest);
    assert.equal(await inRepo(digestTag(signed.node.digest, "sbom")), signed.sbom.digest);
    assert.equal(
      await inRepo(digestTag(signed.platforms[0]?.digest ?? "", "sig")),
      signed.platformSignature.digest,
    );
    assert.equal(
      await inRepo(digestTag(signed.referrers.sbom.digest, "sig")),
      signed.referrerSignature.digest,
    );
    for (const r of [signed.referrers.sbom, signed.referrers.scan])
      assert.equal(await inRepo(r.digest), r.digest);
    const index = JSON.parse(
      (await manifestGet(b.url, repo, digestTag(signed.node.digest))).bytes.toString("utf8"),
    ) as Index;
    assert.deepEqual(
      index.manifests.map((d) => d.digest).sort(),
      [signed.referrers.sbom.digest, signed.referrers.scan.digest].sort(),
    );
  };

  it("copy --referrers carries what is attached registry to registry, into the destination's repository", async () => {
    const b = await emptyTarget();
    const src = `docker://${registry.host}/${signed.name}:${signed.tag}`;
    const copied = await runAirlock([
      "copy",
      "--all",
      "--referrers",
      "--json",
      src,
      `docker://${b.host}/mirror/signed:v1`,
    ]);
    assert.equal(copied.code, 0, copied.stderr);
    const result = JSON.parse(copied.stdout.toString()) as { digest: string; attached?: unknown[] };
    assert.equal(result.digest, signed.node.digest);
    assert.equal(result.attached?.length, 7);
    await assertAttachedIn(b, "mirror/signed");
    const bare = await runAirlock(["copy", "--all", src, `docker://${b.host}/bare/signed:v1`]);
    assert.equal(bare.code, 0, bare.stderr);
    const sig = await fetch(`${b.url}/v2/bare/signed/manifests/${digestTag(signed.node.digest, "sig")}`);
    await sig.arrayBuffer();
    assert.equal(sig.status, 404, "without --referrers nothing attached is copied");
    const layout = await runAirlock(["copy", "--all", "--referrers", src, `oci:${join(dir, "layout")}:v1`]);
    assert.equal(layout.code, 2, "--referrers needs a registry on both sides");
  });

  it("sync --referrers carries what is attached to each image of the list", async () => {
    const b = await emptyTarget();
    const list = join(dir, "sync.yaml");
    await writeFile(
      list,
      `images:\n  - ref: ${registry.host}/${signed.name}:${signed.tag}\n    platforms: all\n`,
    );
    const synced = await runAirlock([
      "sync",
      "--src",
      "yaml",
      list,
      "--dest",
      `${b.host}/mirror`,
      "--referrers",
      "--json",
    ]);
    assert.equal(synced.code, 0, synced.stderr);
    const [image] = JSON.parse(synced.stdout.toString()) as { digest: string; attached?: number }[];
    assert.equal(image?.digest, signed.node.digest);
    assert.equal(image?.attached, 7);
    await assertAttachedIn(b, "mirror/signed");
  });

  it("serve answers the referrers API for the bundle (artifactType filter, empty index when none) and serves cosign's tags", async () => {
    const served = await serveRegistry([bundle], { listen: "127.0.0.1:0" });
    try {
      const name = signed.name;
      const get = async (path: string): Promise<Response> => await fetch(`${served.url}${path}`);
      const all = await get(`/v2/${name}/referrers/${signed.node.digest}`);
      assert.equal(all.status, 200);
      assert.equal(all.headers.get("content-type"), MediaType.OciIndex);
      const allIndex = (await all.json()) as Index;
      assert.deepEqual(
        allIndex.manifests.map((d) => d.digest).sort(),
        [signed.referrers.sbom.digest, signed.referrers.scan.digest].sort(),
      );
      const sbom = await get(
        `/v2/${name}/referrers/${signed.node.digest}?artifactType=${encodeURIComponent(SBOM_ARTIFACT_TYPE)}`,
      );
      assert.equal(sbom.headers.get("oci-filters-applied"), "artifactType");
      assert.deepEqual(
        ((await sbom.json()) as Index).manifests.map((d) => d.digest),
        [signed.referrers.sbom.digest],
      );
      const none = await get(`/v2/${name}/referrers/${signed.platforms[1]?.digest ?? ""}`);
      assert.equal(none.status, 200);
      assert.deepEqual(((await none.json()) as Index).manifests, []);
      const raw = await runSkopeo([
        "inspect",
        "--raw",
        "--tls-verify=false",
        `docker://${served.host}/${name}:${digestTag(signed.node.digest, "sig")}`,
      ]);
      assert.equal(sha256(raw.stdout), signed.signature.digest);
    } finally {
      await served.close();
    }
  });
});
