/**
 * Bundles carry what is attached to their images as first-class content: fixtures/signed:v1's
 * cosign .sig/.att/.sbom tags, its OCI 1.1 referrers and a signature on a referrer travel in the
 * bundle, each blob once, listed in index.json under their image with their subject; verify-bundle
 * checks every subject is in the bundle; inspect-bundle lists them; --platform keeps the kept
 * platforms' signatures and the index's. Through the CLI against the real registry.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Index } from "../../src/oci/types.js";
import { decodeLock } from "../../src/plan/lock-file.js";
import type { BundleSummary } from "../../src/verbs/inspect-bundle.js";
import { buildCosignSignature } from "../harness/attached-images.js";
import { packEntries, readEntries } from "../harness/bundle-tamper.js";
import { runAirlock } from "../harness/cli.js";
import { digestTag, type SignedFixture } from "../harness/fixture-images.js";
import { pushNode } from "../harness/fixture-push.js";
import { startSeededRegistry } from "../harness/fixtures.js";
import type { TestRegistry } from "../harness/registry.js";

const SUBJECT = "dev.airlock.attached.subject";
const IMAGE = "dev.airlock.attached.image";
const KIND = "dev.airlock.attached.kind";
const REF_NAME = "org.opencontainers.image.ref.name";

describe("bundles carry signatures, attestations, SBOMs and referrers", () => {
  let registry: TestRegistry;
  let signed: SignedFixture;
  let dir: string;
  let bundle: string;
  let reference: string;

  /** Every manifest attached to signed:v1 (all platforms), by digest. */
  const allAttached = (): string[] =>
    [
      signed.signature,
      signed.attestation,
      signed.sbom,
      signed.platformSignature,
      signed.referrers.sbom,
      signed.referrers.scan,
      signed.referrerSignature,
    ].map((m) => m.digest);

  /** create-bundle of signed:v1 from list NAME.yaml into OUTPUT.tar (default NAME.tar). */
  const makeBundle = async (name: string, output = name, ...extra: string[]): Promise<string> => {
    const list = join(dir, `${name}.yaml`);
    await writeFile(list, `images:\n  - ref: ${reference}\n    platforms: all\n`);
    const out = join(dir, `${output}.tar`);
    const args = ["create-bundle", "-f", list, "-o", out, "--cache", join(dir, "cache"), "--quiet"];
    const made = await runAirlock([...args, ...extra]);
    assert.equal(made.code, 0, made.stderr);
    return out;
  };

  const indexJson = async (file: string): Promise<Index> => {
    const entry = (await readEntries(file)).find((e) => e.header.name === "index.json");
    return JSON.parse(entry?.body?.toString("utf8") ?? "{}") as Index;
  };

  before(async () => {
    let fixtures;
    ({ registry, fixtures } = await startSeededRegistry("plain"));
    signed = fixtures.signed;
    reference = `${registry.host}/${signed.name}:${signed.tag}`;
    dir = await mkdtemp(join(tmpdir(), "airlock-bundle-attached-"));
    bundle = await makeBundle("all");
  });
  after(async () => registry.stop());

  it("index.json lists every attached manifest under its image, with its subject; cosign's tags by name", async () => {
    const index = await indexJson(bundle);
    const images = index.manifests.filter((d) => d.annotations?.[SUBJECT] === undefined);
    assert.deepEqual(
      images.map((d) => d.annotations?.[REF_NAME]),
      [reference],
    );
    const attached = index.manifests.filter((d) => d.annotations?.[SUBJECT] !== undefined);
    assert.deepEqual(attached.map((d) => d.digest).sort(), allAttached().sort());
    for (const d of attached) assert.equal(d.annotations?.[IMAGE], reference);
    const sig = attached.find((d) => d.digest === signed.signature.digest);
    assert.equal(sig?.annotations?.[SUBJECT], signed.node.digest);
    assert.equal(sig?.annotations?.[KIND], "cosign-sig");
    assert.equal(
      sig?.annotations?.[REF_NAME],
      `${registry.host}/${signed.name}:${digestTag(signed.node.digest, "sig")}`,
    );
    const onSbom = attached.find((d) => d.digest === signed.referrerSignature.digest);
    assert.equal(onSbom?.annotations?.[SUBJECT], signed.referrers.sbom.digest);
    const scan = attached.find((d) => d.digest === signed.referrers.scan.digest);
    assert.equal(scan?.annotations?.[KIND], "referrer");
    assert.equal(scan?.annotations?.[REF_NAME], undefined, "a referrer has no tag");
    assert.equal(scan?.artifactType, "application/vnd.airlock.test.scan+json");
  });

  it("the bundle holds each attached manifest and blob once, and its lock keeps `attached`", async () => {
    const entries = await readEntries(bundle);
    const names = entries.map((e) => e.header.name);
    assert.equal(new Set(names).size, names.length);
    for (const m of [signed.signature, signed.referrers.sbom, signed.referrerSignature]) {
      assert.ok(names.includes(`blobs/sha256/${m.digest.slice(7)}`), m.digest);
      for (const layer of m.layers) assert.ok(names.includes(`blobs/sha256/${layer.digest.slice(7)}`));
    }
    const lockText = entries.find((e) => e.header.name === "airlock.lock")?.body?.toString("utf8") ?? "";
    const lock = decodeLock(lockText, "airlock.lock");
    const [image] = lock.entries.flatMap((e) => e.images);
    assert.deepEqual(image?.attached?.map((a) => a.digest).sort(), allAttached().sort());
    assert.equal(
      lockText,
      await readFile(join(dir, "all.lock"), "utf8"),
      "the bundle's lock is the lock file",
    );
  });

  it("verify-bundle passes, and a single-image bundle is still one image to copy from", async () => {
    const verified = await runAirlock(["verify-bundle", bundle, "--json"]);
    assert.equal(verified.code, 0, verified.stderr);
    const [report] = JSON.parse(verified.stdout.toString()) as {
      images: number;
      manifests: number;
      attached: number;
    }[];
    assert.equal(report?.images, 1);
    assert.equal(report?.attached, allAttached().length);
    assert.equal(report?.manifests, 3 + allAttached().length);
    const layout = join(dir, "copied");
    const copied = await runAirlock(["copy", `bundle:${bundle}`, `oci:${layout}:v1`, "--all", "--quiet"]);
    assert.equal(copied.code, 0, copied.stderr);
  });

  it("inspect-bundle lists what is attached under its image, in text and json", async () => {
    const json = await runAirlock(["inspect-bundle", bundle, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const summary = JSON.parse(json.stdout.toString()) as BundleSummary;
    assert.equal(summary.images.length, 1);
    const listed = summary.images[0]?.attached ?? [];
    assert.deepEqual(listed.map((a) => a.digest).sort(), allAttached().sort());
    const sig = listed.find((a) => a.digest === signed.platformSignature.digest);
    assert.equal(sig?.kind, "cosign-sig");
    assert.equal(sig?.subject, signed.platforms[0]?.digest);
    assert.equal(sig?.tag, digestTag(signed.platforms[0]?.digest ?? "", "sig"));
    assert.ok((sig?.bytes ?? 0) > signed.platformSignature.size);
    const text = await runAirlock(["inspect-bundle", bundle]);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.toString().split("\n");
    const at = lines.findIndex((l) => l.startsWith(reference));
    assert.ok(at >= 0, text.stdout.toString());
    const under = lines.slice(at + 1).filter((l) => l.startsWith("  "));
    assert.equal(under.length, allAttached().length);
    assert.ok(under.some((l) => l.includes(digestTag(signed.node.digest, "att"))));
  });

  it("create-bundle --platform linux/amd64 keeps the signatures of linux/amd64 and the index, drops linux/arm64's", async () => {
    const arm64 = signed.platforms[1];
    assert.ok(arm64 !== undefined);
    const armSig = buildCosignSignature(signed.name, arm64.digest);
    await pushNode(registry.url, signed.name, armSig, [digestTag(arm64.digest, "sig")]);
    const full = await makeBundle("arm-signed");
    assert.ok((await indexJson(full)).manifests.some((d) => d.digest === armSig.digest));
    const narrowed = await makeBundle("arm-signed", "amd64", "--platform", "linux/amd64");
    const attached = (await indexJson(narrowed)).manifests.filter(
      (d) => d.annotations?.[SUBJECT] !== undefined,
    );
    assert.deepEqual(attached.map((d) => d.digest).sort(), allAttached().sort());
    assert.ok(!attached.some((d) => d.digest === armSig.digest));
    const verified = await runAirlock(["verify-bundle", narrowed]);
    assert.equal(verified.code, 0, verified.stderr);
  });

  it("verify-bundle fails clearly on a bundle whose referrer's subject was removed", async () => {
    // The SBOM referrer is the subject of a cosign signature: take it (entry and blob) out.
    const gone = signed.referrers.sbom.digest;
    const entries = await readEntries(bundle);
    const kept = entries
      .filter((e) => e.header.name !== `blobs/sha256/${gone.slice(7)}`)
      .map((e) => {
        if (e.header.name !== "index.json") return e;
        const index = JSON.parse(e.body?.toString("utf8") ?? "{}") as Index;
        const body = Buffer.from(
          JSON.stringify({ ...index, manifests: index.manifests.filter((d) => d.digest !== gone) }),
        );
        return { header: { ...e.header, size: body.length }, body };
      });
    const damaged = join(dir, "no-subject.tar");
    await writeFile(damaged, await packEntries(kept));
    const verified = await runAirlock(["verify-bundle", damaged]);
    assert.equal(verified.code, 6, verified.stderr);
    const lines = verified.stderr.toString().split("\n");
    assert.ok(
      lines.some((l) => l.includes(signed.referrerSignature.digest) && l.includes(gone)),
      verified.stderr.toString(),
    );
  });
});
