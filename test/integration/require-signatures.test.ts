/**
 * Signature policies on writes, through the CLI against the real registry: create-bundle
 * --require-signatures and the image list's verify: (per registry, per entry) check each image
 * in its source registry and write nothing when one fails; push-bundle --require-signatures and
 * verify-signatures BUNDLE check from the bundle's own content and the trusted root it carries
 * (create-bundle --trusted-root), offline (the registry stopped, every proxy variable pointing at
 * a closed port).
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { VerifySignaturesResult } from "../../src/verbs/verify-signatures.js";
import { isOneCleanLine, runAirlock } from "../harness/cli.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";
import { carryAttached } from "../harness/signed-bundle.js";
import {
  buildSignedImages,
  IDENTITY,
  pushSignedImages,
  type SignedCase,
  type SignedImages,
} from "../harness/signed-images.js";

const POLICY_FAILED = 8;

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("signature policies on create-bundle and push-bundle", () => {
  let source: TestRegistry;
  let target: TestRegistry;
  let signed: SignedImages;
  let keys: string;
  let policy: string;

  before(async () => {
    [source, target] = await Promise.all([startRegistry("plain"), startRegistry("plain")]);
    keys = await mkdtemp(join(tmpdir(), "airlock-policy-"));
    signed = await buildSignedImages(keys);
    await pushSignedImages(source.url, signed);
    policy = join(keys, "policy.yaml");
    await writeFile(policy, "keys: [ecdsa.pub]\n");
  });
  after(async () => Promise.all([source.stop(), target.stop()]));

  const ref = (which: SignedCase): string => `${source.host}/sig/${which}:v1`;
  /** A list of the cases in a new directory; returns where the bundle goes. */
  const listOf = async (lines: string[]): Promise<{ dir: string; list: string; bundle: string }> => {
    const dir = await mkdtemp(join(tmpdir(), "airlock-req-"));
    await mkdir(join(dir, "out"));
    const list = join(dir, "airlock.yaml");
    await writeFile(list, lines.join("\n") + "\n");
    return { dir, list, bundle: join(dir, "out", "bundle.tar") };
  };
  const createBundle = (at: { dir: string; list: string; bundle: string }, flags: string[] = []) =>
    runAirlock([
      "create-bundle",
      "-f",
      at.list,
      "-o",
      at.bundle,
      "--cache",
      join(at.dir, "cache"),
      "-q",
      ...flags,
    ]);

  it("create-bundle --require-signatures writes the bundle when every image is signed by the key", async () => {
    const at = await listOf(["images:", `  - ${ref("ecdsa")}`, `  - ${ref("key-bundle")}`]);
    const run = await createBundle(at, ["--require-signatures", policy]);
    assert.equal(run.code, 0, run.stderr);
    assert.ok((await readdir(join(at.dir, "out"))).includes("bundle.tar"));
  });

  it("create-bundle --require-signatures writes nothing and names the image when one is unsigned", async () => {
    const at = await listOf(["images:", `  - ${ref("ecdsa")}`, `  - ${ref("unsigned")}`]);
    const run = await createBundle(at, ["--require-signatures", policy]);
    assert.equal(run.code, POLICY_FAILED);
    assert.ok(isOneCleanLine(run.stderr), run.stderr);
    assert.ok(run.stderr.includes(ref("unsigned")), run.stderr);
    assert.ok(!run.stderr.includes(ref("ecdsa")), run.stderr);
    assert.deepEqual(await readdir(join(at.dir, "out")), []);
  });

  it("the list's verify: per registry, overridden per entry, with no flag", async () => {
    const lines = [
      "registries:",
      `  ${source.host}:`,
      "    verify: { keys: [" + JSON.stringify(signed.keyFiles.ecdsa) + "] }",
      "images:",
      `  - ${ref("ecdsa")}`,
      `  - ref: ${ref("rsa")}`,
      "    verify: { keys: [" + JSON.stringify(signed.keyFiles.rsa) + "] }",
    ];
    const ok = await listOf(lines);
    const passed = await createBundle(ok);
    assert.equal(passed.code, 0, passed.stderr);
    const bad = await listOf([...lines, `  - ${ref("ed25519")}`]);
    const failed = await createBundle(bad);
    assert.equal(failed.code, POLICY_FAILED);
    assert.ok(failed.stderr.includes(ref("ed25519")), failed.stderr);
    assert.deepEqual(await readdir(join(bad.dir, "out")), []);
  });

  it("a policy file that breaks the schema is a usage error naming the file", async () => {
    const broken = join(keys, "broken.yaml");
    await writeFile(broken, "keys: ecdsa.pub\nidentities: [{ subject: x }]\n");
    const at = await listOf(["images:", `  - ${ref("ecdsa")}`]);
    const run = await createBundle(at, ["--require-signatures", broken]);
    assert.equal(run.code, 2);
    assert.ok(run.stderr.includes("broken.yaml"), run.stderr);
  });

  describe("from a bundle, offline", () => {
    let plain: string;
    let carried: string;
    let carriedSigned: string;
    let offlineEnv: NodeJS.ProcessEnv;

    before(async () => {
      const cases: SignedCase[] = ["ecdsa", "key-bundle", "keyless", "unsigned"];
      const at = await listOf(["images:", ...cases.map((c) => `  - ${ref(c)}`)]);
      const run = await createBundle(at, ["--trusted-root", signed.trustedRootFile]);
      assert.equal(run.code, 0, run.stderr);
      // create-bundle carries what is attached by default: a bundle without it says so in its list.
      const bare = await listOf([
        "defaults: { signatures: false, referrers: false }",
        "images:",
        ...cases.map((c) => `  - ${ref(c)}`),
      ]);
      assert.equal((await createBundle(bare)).code, 0);
      plain = bare.bundle;
      const checked = await runAirlock(["verify-bundle", at.bundle, "-q"]);
      assert.equal(checked.code, 0, `a bundle carrying trusted_root.json verifies: ${checked.stderr}`);
      carried = join(at.dir, "carried.tar");
      const nodes = cases.flatMap((c) => signed.images[c].tagged.map((t) => t.node));
      await carryAttached(at.bundle, carried, await readFile(join(at.dir, "airlock.lock"), "utf8"), nodes);
      const good: SignedCase[] = ["ecdsa", "key-bundle"];
      const signedAt = await listOf(["images:", ...good.map((c) => `  - ${ref(c)}`)]);
      assert.equal((await createBundle(signedAt)).code, 0);
      carriedSigned = join(signedAt.dir, "carried.tar");
      const signedLock = await readFile(join(signedAt.dir, "airlock.lock"), "utf8");
      const signedNodes = good.flatMap((c) => signed.images[c].tagged.map((t) => t.node));
      await carryAttached(signedAt.bundle, carriedSigned, signedLock, signedNodes);
      const proxy = `http://127.0.0.1:${await closedPort()}`;
      offlineEnv = {
        HTTPS_PROXY: proxy,
        HTTP_PROXY: proxy,
        https_proxy: proxy,
        http_proxy: proxy,
        NO_PROXY: "",
      };
    });

    it("push-bundle --require-signatures pushes nothing when the bundle does not carry the signatures", async () => {
      const run = await runAirlock([
        "push-bundle",
        plain,
        "--to",
        target.host,
        "--require-signatures",
        policy,
        "-q",
      ]);
      assert.equal(run.code, POLICY_FAILED, run.stderr);
      assert.ok(run.stderr.includes(ref("ecdsa")), run.stderr);
      const catalog = await fetch(`${target.url}/v2/_catalog`);
      assert.deepEqual(((await catalog.json()) as { repositories: string[] }).repositories, []);
    });

    it("push-bundle --require-signatures checks the carried signatures from the bundle", async () => {
      const refused = await runAirlock([
        "push-bundle",
        carried,
        "--to",
        target.host,
        "--require-signatures",
        policy,
      ]);
      assert.equal(refused.code, POLICY_FAILED, refused.stderr);
      assert.ok(refused.stderr.includes(ref("unsigned")), refused.stderr);
      assert.ok(!refused.stderr.includes(ref("ecdsa")), refused.stderr);
    });

    it("push-bundle --require-signatures pushes a bundle whose every image is signed", async () => {
      const run = await runAirlock([
        "push-bundle",
        carriedSigned,
        "--to",
        target.host,
        "--require-signatures",
        policy,
      ]);
      assert.equal(run.code, 0, run.stderr);
      const pushed = await fetch(`${target.url}/v2/sig/ecdsa/manifests/v1`, {
        method: "HEAD",
        headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
      });
      assert.equal(pushed.status, 200);
    });

    it("verify-signatures BUNDLE passes by key and keyless (the bundle's trusted root), fails the unsigned image, with no network", async () => {
      await source.stop();
      const flags = [
        "--key",
        signed.keyFiles.ecdsa,
        "--certificate-identity",
        IDENTITY.subject,
        "--certificate-oidc-issuer",
        IDENTITY.issuer,
        "--json",
      ];
      const run = await runAirlock(["verify-signatures", carried, ...flags], { env: offlineEnv });
      assert.equal(run.code, POLICY_FAILED, run.stderr);
      const result = JSON.parse(run.stdout.toString("utf8")) as VerifySignaturesResult;
      const verdicts = Object.fromEntries(result.images.map((i) => [i.image, i]));
      assert.equal(verdicts[ref("ecdsa")]?.passed, true, JSON.stringify(verdicts));
      assert.equal(verdicts[ref("key-bundle")]?.passed, true);
      assert.equal(verdicts[ref("keyless")]?.passed, true, verdicts[ref("keyless")]?.reason);
      assert.equal(verdicts[ref("unsigned")]?.failure, "missing");
      const plainRun = await runAirlock(
        ["verify-signatures", plain, "--key", signed.keyFiles.ecdsa, "--json"],
        {
          env: offlineEnv,
        },
      );
      assert.equal(plainRun.code, POLICY_FAILED);
      // A bundle that carries no trusted root needs one for keyless identities.
      const noRoot = await runAirlock(["verify-signatures", carriedSigned, ...flags], { env: offlineEnv });
      assert.equal(noRoot.code, 2, noRoot.stderr);
    });
  });
});
