/**
 * lock records what is attached to an image in the real registry (Distribution 2.8, which has no
 * referrers API): cosign's .sig/.att/.sbom tags, the OCI 1.1 referrers behind the sha256-<hex>
 * fallback tag, and a signature on a referrer; the list's signatures/referrers/artifactTypes
 * settings choose among them; diff and lock --check see the changes.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { manifestGet } from "../harness/fixture-push.js";
import { load } from "js-yaml";
import type { LockDiff } from "../../src/plan/diff.js";
import { decodeLock, encodeLock } from "../../src/plan/lock-file.js";
import type { Lock, LockedArtifact, LockedImage } from "../../src/plan/lock-types.js";
import { withoutAttached } from "../../src/plan/without-attached.js";
import {
  buildCosignSignature,
  SBOM_ARTIFACT_TYPE,
  SCAN_ARTIFACT_TYPE,
  SIMPLE_SIGNING_MEDIA_TYPE,
} from "../harness/attached-images.js";
import { runAirlock } from "../harness/cli.js";
import { digestTag, type SignedFixture } from "../harness/fixture-images.js";
import { pushNode } from "../harness/fixture-push.js";
import { startSeededRegistry } from "../harness/fixtures.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";

describe("lock records signatures, attestations, SBOMs and referrers", () => {
  let registry: TestRegistry;
  let signed: SignedFixture;
  let dir: string;
  let host: string;

  before(async () => {
    let fixtures;
    ({ registry, fixtures } = await startSeededRegistry("plain"));
    signed = fixtures.signed;
    host = registry.host;
    dir = await mkdtemp(join(tmpdir(), "airlock-attached-"));
  });
  after(async () => registry.stop());

  /** Locks a one-entry list with the given extra entry lines; returns the lock's one image. */
  const lockWith = async (name: string, entry: string[], defaults: string[] = []): Promise<LockedImage> => {
    const list = join(dir, `${name}.yaml`);
    await writeFile(list, listText(entry, defaults));
    const run = await runAirlock(["lock", "-f", list]);
    assert.equal(run.code, 0, run.stderr);
    const lock = load(await readFile(join(dir, `${name}.lock`), "utf8")) as Lock;
    const [image] = lock.entries.flatMap((e) => e.images);
    assert.ok(image !== undefined);
    return image;
  };
  const listText = (entry: string[], defaults: string[] = []): string =>
    [
      ...(defaults.length > 0 ? ["defaults:", ...defaults.map((l) => `  ${l}`)] : []),
      "images:",
      `  - ref: ${host}/${signed.name}:${signed.tag}`,
      "    platforms: all",
      ...entry.map((l) => `    ${l}`),
      "",
    ].join("\n");
  const summary = (a: LockedArtifact): string => `${a.kind} ${a.subject} ${a.digest}`;
  const expected = (kind: string, subject: string, digest: string): string => `${kind} ${subject} ${digest}`;

  it("the registry has no referrers API: GET /v2/<name>/referrers/<digest> answers 404", async () => {
    const res = await fetch(`${registry.url}/v2/${signed.name}/referrers/${signed.node.digest}`);
    await res.arrayBuffer();
    assert.equal(res.status, 404);
  });

  it("finds the .sig, .att and .sbom tags, both referrers through the fallback tag and a referrer's signature", async () => {
    const image = await lockWith("all", []);
    const top = signed.node.digest;
    const amd64 = signed.platforms[0]?.digest ?? "";
    const sbomReferrer = signed.referrers.sbom.digest;
    assert.deepEqual(
      (image.attached ?? []).map(summary).sort(),
      [
        expected("cosign-sig", top, signed.signature.digest),
        expected("cosign-att", top, signed.attestation.digest),
        expected("cosign-sbom", top, signed.sbom.digest),
        expected("cosign-sig", amd64, signed.platformSignature.digest),
        expected("referrer", top, sbomReferrer),
        expected("referrer", top, signed.referrers.scan.digest),
        expected("cosign-sig", sbomReferrer, signed.referrerSignature.digest),
      ].sort(),
    );
    const sig = image.attached?.find((a) => a.digest === signed.signature.digest);
    assert.equal(sig?.tag, digestTag(top, "sig"));
    assert.equal(sig?.size, signed.signature.size);
    assert.equal(sig?.config.digest, signed.signature.config.digest);
    assert.deepEqual(
      sig?.layers.map((l) => [l.digest, l.mediaType]),
      [[signed.signature.layers[0]?.digest, SIMPLE_SIGNING_MEDIA_TYPE]],
    );
    const types = (image.attached ?? []).filter((a) => a.kind === "referrer").map((a) => a.artifactType);
    assert.deepEqual(types.sort(), [SBOM_ARTIFACT_TYPE, SCAN_ARTIFACT_TYPE].sort());
    assert.equal((image.attached ?? []).find((a) => a.kind === "referrer")?.tag, undefined);
  });

  it("a lock written before airlock recorded attached content keeps its pins and gains it", async () => {
    const lockFile = join(dir, "all.lock");
    const recorded = await readFile(lockFile, "utf8");
    const older = encodeLock(withoutAttached(decodeLock(recorded, lockFile)));
    assert.doesNotMatch(older, /attached/);
    await writeFile(lockFile, older);
    const run = await runAirlock(["lock", "-f", join(dir, "all.yaml")]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(await readFile(lockFile, "utf8"), recorded);
  });

  it("create-bundle and push-bundle carry what the lock records as attached", async (t) => {
    const list = join(dir, "bundle.yaml");
    await writeFile(list, listText([]));
    const bundle = join(dir, "signed.tar");
    const made = await runAirlock(["create-bundle", "-f", list, "-o", bundle, "--cache", join(dir, "cache")]);
    assert.equal(made.code, 0, made.stderr);
    assert.match(await readFile(join(dir, "bundle.lock"), "utf8"), /attached:/);
    const verified = await runAirlock(["verify-bundle", bundle]);
    assert.equal(verified.code, 0, verified.stderr);
    const target = await startRegistry("plain");
    t.after(() => target.stop());
    const pushed = await runAirlock([
      "push-bundle",
      bundle,
      "--to",
      target.host,
      "--journal",
      join(dir, "j"),
    ]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const got = await manifestGet(target.url, signed.name, signed.tag);
    assert.equal(got.digest, signed.node.digest);
    const sigTag = await manifestGet(target.url, signed.name, digestTag(signed.node.digest, "sig"));
    assert.equal(sigTag.digest, signed.signature.digest);
  });

  it("counts attached manifests and blobs in the totals", async () => {
    const withAll = load(await readFile(join(dir, "all.lock"), "utf8")) as Lock;
    const none = await lockWith("none", ["signatures: false", "referrers: false"]);
    assert.equal(none.attached, undefined);
    const noneLock = load(await readFile(join(dir, "none.lock"), "utf8")) as Lock;
    assert.equal(withAll.totals.manifests, noneLock.totals.manifests + 7);
    assert.ok(withAll.totals.blobs > noneLock.totals.blobs);
  });

  it("signatures: false leaves cosign's tags out and keeps the referrers", async () => {
    const image = await lockWith("nosig", ["signatures: false"]);
    assert.deepEqual(
      (image.attached ?? []).map((a) => a.digest).sort(),
      [signed.referrers.sbom.digest, signed.referrers.scan.digest].sort(),
    );
    const lock = load(await readFile(join(dir, "nosig.lock"), "utf8")) as Lock;
    assert.match(lock.entries[0]?.key ?? "", / signatures=false/);
  });

  it("artifactTypes keeps only referrers of those types; defaults apply to every entry", async () => {
    const image = await lockWith("sbom-only", [], [`artifactTypes: [${SBOM_ARTIFACT_TYPE}]`]);
    const referrers = (image.attached ?? []).filter((a) => a.kind === "referrer").map((a) => a.digest);
    assert.deepEqual(referrers, [signed.referrers.sbom.digest]);
    assert.ok(image.attached?.some((a) => a.digest === signed.referrerSignature.digest));
    assert.equal(image.attached?.length, 6);

    const noReferrers = await lockWith("no-referrers", [], ["referrers: false"]);
    assert.deepEqual((noReferrers.attached ?? []).map((a) => a.kind).sort(), [
      "cosign-att",
      "cosign-sbom",
      "cosign-sig",
      "cosign-sig",
    ]);
  });

  it("diff shows a signature added to a platform (linux/arm64), in text, markdown and json", async () => {
    const list = join(dir, "diff.yaml");
    await writeFile(list, listText([]));
    const oldLock = join(dir, "diff-old.lock");
    const newLock = join(dir, "diff-new.lock");
    assert.equal((await runAirlock(["lock", "-f", list, "-o", oldLock])).code, 0);
    const arm64 = signed.platforms[1];
    assert.ok(arm64 !== undefined);
    const added = buildCosignSignature(signed.name, arm64.digest);
    await pushNode(registry.url, signed.name, added, [digestTag(arm64.digest, "sig")]);
    const relock = await runAirlock(["lock", "-f", list, "-o", newLock]);
    assert.equal(relock.code, 0, relock.stderr);

    const json = await runAirlock(["diff", oldLock, newLock, "--format", "json"]);
    assert.equal(json.code, 0, json.stderr);
    const diff = JSON.parse(json.stdout.toString()) as LockDiff;
    assert.deepEqual(diff.moved, []);
    assert.deepEqual(diff.attached, [
      {
        reference: `${host}/${signed.name}:${signed.tag}`,
        change: "added",
        kind: "cosign-sig",
        on: "linux/arm64",
        to: added.digest,
      },
    ]);
    assert.equal(diff.newContent.count, 3, "the manifest, its config and its payload");
    const text = (await runAirlock(["diff", oldLock, newLock])).stdout.toString();
    assert.match(text, new RegExp(`\\+ signature on linux/arm64: ${added.digest.slice(0, 19)}`));
    const markdown = (await runAirlock(["diff", oldLock, newLock, "--format", "markdown"])).stdout.toString();
    assert.match(markdown, /\| signature added \|/);
  });

  it("lock --check reports an entry whose attached-content settings changed as out of date", async () => {
    const list = join(dir, "check.yaml");
    await writeFile(list, listText([]));
    assert.equal((await runAirlock(["lock", "-f", list])).code, 0);
    assert.equal((await runAirlock(["lock", "-f", list, "--check"])).code, 0);
    await writeFile(list, listText([`artifactTypes: [${SCAN_ARTIFACT_TYPE}]`]));
    const check = await runAirlock(["lock", "-f", list, "--check", "--json"]);
    assert.equal(check.code, 1, check.stderr);
    const result = JSON.parse(check.stdout.toString()) as { unlocked: { key: string }[]; stale: unknown[] };
    assert.equal(result.unlocked.length, 1);
    assert.match(
      result.unlocked[0]?.key ?? "",
      new RegExp(` artifact-types=${SCAN_ARTIFACT_TYPE.replace(/[.+]/g, "\\$&")}$`),
    );
    assert.equal(result.stale.length, 1);
  });
});
