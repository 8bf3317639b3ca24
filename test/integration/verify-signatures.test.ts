/**
 * verify-signatures through the CLI against the real registry (Distribution 2.8, no referrers API:
 * sigstore bundles are found behind the sha256-<hex> fallback tag): images signed for real by the
 * committed generator (test/harness/signed-images.ts) pass with the right key or identity, and
 * every way a signature can be wrong fails with one line naming the image, and exit 8.
 */
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { VerifySignaturesResult } from "../../src/verbs/verify-signatures.js";
import { runAirlock } from "../harness/cli.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";
import {
  buildSignedImages,
  IDENTITY,
  OTHER_IDENTITY,
  pushSignedImages,
  type SignedCase,
  type SignedImages,
} from "../harness/signed-images.js";

const POLICY_FAILED = 8;

describe("verify-signatures against the registry", () => {
  let registry: TestRegistry;
  let signed: SignedImages;

  before(async () => {
    registry = await startRegistry("plain");
    signed = await buildSignedImages(await mkdtemp(join(tmpdir(), "airlock-signed-")));
    await pushSignedImages(registry.url, signed);
  });
  after(async () => registry.stop());

  const ref = (which: SignedCase): string => `${registry.host}/sig/${which}:v1`;
  const keyless = (identity = IDENTITY): string[] => [
    "--certificate-identity",
    identity.subject,
    "--certificate-oidc-issuer",
    identity.issuer,
    "--trusted-root",
    signed.trustedRootFile,
  ];
  const verify = async (targets: SignedCase[], flags: string[]) => {
    const run = await runAirlock(["verify-signatures", ...targets.map(ref), ...flags, "--json"]);
    const result = JSON.parse(run.stdout.toString("utf8")) as VerifySignaturesResult;
    return { ...run, result };
  };
  /** One image that must fail: exit 8, one line naming it, the failure's code. */
  const fails = async (which: SignedCase, flags: string[], failure: string): Promise<void> => {
    const { code, result } = await verify([which], flags);
    assert.equal(code, POLICY_FAILED);
    assert.equal(result.images.length, 1);
    assert.equal(result.images[0]?.passed, false);
    assert.equal(result.images[0]?.failure, failure, result.images[0]?.reason);
    const text = await runAirlock(["verify-signatures", ref(which), ...flags]);
    assert.equal(text.code, POLICY_FAILED);
    const lines = text.stdout.toString("utf8").trimEnd().split("\n");
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? "", new RegExp(`^FAIL ${ref(which).replaceAll(".", "\\.")} `));
  };

  it("passes cosign .sig signatures by ECDSA P-256, Ed25519 and RSA keys, each with its key", async () => {
    for (const kind of ["ecdsa", "ed25519", "rsa"] as const) {
      const { code, result, stderr } = await verify([kind], ["--key", signed.keyFiles[kind]]);
      assert.equal(code, 0, stderr + JSON.stringify(result));
      assert.equal(result.passed, true);
      assert.equal(result.images[0]?.digest, signed.images[kind].image.digest);
    }
  });

  it("any of several keys suffices; one line per image", async () => {
    const keys = [
      "--key",
      signed.keyFiles.other,
      "--key",
      signed.keyFiles.ecdsa,
      "--key",
      signed.keyFiles.rsa,
    ];
    const run = await runAirlock(["verify-signatures", ref("ecdsa"), ref("rsa"), ...keys]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.toString("utf8").trimEnd().split("\n");
    assert.deepEqual(
      lines.map((l) => l.split(" ").slice(0, 2).join(" ")),
      [`PASS ${ref("ecdsa")}`, `PASS ${ref("rsa")}`],
    );
  });

  it("passes a sigstore bundle referrer signed by the key", async () => {
    const { code, result } = await verify(["key-bundle"], ["--key", signed.keyFiles.ecdsa]);
    assert.equal(code, 0, JSON.stringify(result));
  });

  it("fails a wrong key, a tampered payload, a payload naming another digest, a missing signature", async () => {
    await fails("ecdsa", ["--key", signed.keyFiles.other], "bad-signature");
    await fails("key-bundle", ["--key", signed.keyFiles.other], "bad-signature");
    await fails("tampered", ["--key", signed.keyFiles.ecdsa], "bad-signature");
    await fails("other-digest", ["--key", signed.keyFiles.ecdsa], "digest-mismatch");
    await fails("unsigned", ["--key", signed.keyFiles.ecdsa], "missing");
  });

  it("one failing image among passing ones fails the run, and only it is FAIL", async () => {
    const { code, result } = await verify(["ecdsa", "unsigned"], ["--key", signed.keyFiles.ecdsa]);
    assert.equal(code, POLICY_FAILED);
    assert.deepEqual(
      result.images.map((i) => i.passed),
      [true, false],
    );
  });

  it("a key that is not a public key, or no key at all, is a usage error", async () => {
    const none = await runAirlock(["verify-signatures", ref("ecdsa")]);
    assert.equal(none.code, 2);
    const bad = await runAirlock(["verify-signatures", ref("ecdsa"), "--key", signed.trustedRootFile]);
    assert.equal(bad.code, 2);
  });

  it("checks attestations: the cosign .att's DSSE in-toto statement, by the key, about the image", async () => {
    const key = ["--key", signed.keyFiles.ecdsa];
    const { code, result } = await verify(["ecdsa"], [...key, "--attestation-type", "slsaprovenance"]);
    assert.equal(code, 0, JSON.stringify(result));
    assert.match(result.images[0]?.reason ?? "", /slsa\.dev\/provenance/);
    const uri = await verify(["ecdsa"], [...key, "--attestation-type", "https://slsa.dev/provenance/v1"]);
    assert.equal(uri.code, 0);
    await fails("ecdsa", [...key, "--attestation-type", "cyclonedx"], "missing");
    await fails(
      "ecdsa",
      ["--key", signed.keyFiles.other, "--attestation-type", "slsaprovenance"],
      "bad-signature",
    );
    await fails("rsa", ["--key", signed.keyFiles.rsa, "--attestation-type", "slsaprovenance"], "missing");
    const unknown = await runAirlock([
      "verify-signatures",
      ref("ecdsa"),
      ...key,
      "--attestation-type",
      "nope",
    ]);
    assert.equal(unknown.code, 2);
  });

  it("passes a keyless sigstore bundle for the identity, against the trusted root, and its keyless attestation", async () => {
    const { code, result } = await verify(["keyless"], keyless());
    assert.equal(code, 0, JSON.stringify(result));
    const attested = await verify(["keyless"], [...keyless(), "--attestation-type", "slsaprovenance"]);
    assert.equal(attested.code, 0, JSON.stringify(attested.result));
  });

  it("passes cosign 2's keyless .sig (certificate and Rekor bundle annotations) for the identity", async () => {
    const { code, result } = await verify(["keyless-sig"], keyless());
    assert.equal(code, 0, JSON.stringify(result));
    await fails("keyless-sig", keyless(OTHER_IDENTITY), "identity-mismatch");
    await fails("keyless-sig", ["--key", signed.keyFiles.ecdsa], "untrusted-certificate");
  });

  it("fails a certificate for another identity, an expired or untrusted chain, a log proof that does not verify", async () => {
    await fails("keyless-other", keyless(), "identity-mismatch");
    await fails(
      "keyless",
      keyless({ ...IDENTITY, issuer: "https://accounts.example.test" }),
      "identity-mismatch",
    );
    await fails("keyless-expired", keyless(), "untrusted-certificate");
    await fails("keyless-untrusted", keyless(), "untrusted-certificate");
    await fails("keyless-bad-log", keyless(), "tlog-invalid");
    await fails("keyless-bad-proof", keyless(), "tlog-invalid");
  });

  it("a keyless identity needs a trusted root, and a key does not verify a keyless bundle", async () => {
    const noRoot = await runAirlock([
      "verify-signatures",
      ref("keyless"),
      "--certificate-identity",
      IDENTITY.subject,
      "--certificate-oidc-issuer",
      IDENTITY.issuer,
    ]);
    assert.equal(noRoot.code, 2);
    await fails("keyless", ["--key", signed.keyFiles.ecdsa], "untrusted-certificate");
  });
});
