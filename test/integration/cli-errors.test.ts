import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { airlockFlags, isOneCleanLine, runAirlock, writeAuthFile, type CliResult } from "../harness/cli.js";
import { startSeededRegistry } from "../harness/fixtures.js";
import type { TestRegistry } from "../harness/registry.js";

/** Asserts a refusal: the exit code, one clean line on stderr, nothing on stdout. */
function assertRefused(res: CliResult, code: number, pattern: RegExp): void {
  assert.equal(res.code, code, res.stderr);
  assert.ok(isOneCleanLine(res.stderr), `not one clean line: ${JSON.stringify(res.stderr)}`);
  assert.match(res.stderr, pattern);
  assert.equal(res.stdout.length, 0);
}

describe("bad input gets one clear line and a documented exit code", () => {
  let htpasswd: TestRegistry;
  let tls: TestRegistry;
  let token: TestRegistry;

  before(async () => {
    const start = async (v: "htpasswd" | "tls" | "token"): Promise<TestRegistry> =>
      (await startSeededRegistry(v)).registry;
    [htpasswd, tls, token] = await Promise.all([start("htpasswd"), start("tls"), start("token")]);
  });
  after(async () => Promise.all([htpasswd, tls, token].map((r) => r.stop())));

  it("a malformed reference exits 2", async () => {
    assertRefused(await runAirlock(["digest", "Bad/Name:tag"]), 2, /invalid reference "Bad\/Name:tag"/);
    assertRefused(await runAirlock(["manifest", "a::b"]), 2, /invalid reference/);
  });

  it("a missing file is one line in words, never a raw errno code, exit 2", async () => {
    for (const args of [
      ["verify-bundle", "/nonexistent/b.tar"],
      ["push-bundle", "/nonexistent/b.tar", "--to", "127.0.0.1:1"],
      ["serve", "/nonexistent/b.tar"],
      ["diff", "/nonexistent/a.lock", "/nonexistent/b.lock"],
    ]) {
      const res = await runAirlock(args);
      assertRefused(res, 2, /\/nonexistent\/.*(: no such file| does not exist)/);
      assert.doesNotMatch(res.stderr, /ENOENT/, args.join(" "));
    }
  });

  it("usage mistakes exit 2", async () => {
    assertRefused(await runAirlock(["frobnicate"]), 2, /unknown command "frobnicate"/);
    assertRefused(await runAirlock(["digest"]), 2, /takes REF/);
    assertRefused(await runAirlock(["digest", "127.0.0.1:1/a", "--nope"]), 2, /--nope/);
    assertRefused(
      await runAirlock(["digest", "--platform", "linux", "127.0.0.1:1/a"]),
      2,
      /invalid platform "linux"/,
    );
  });

  it("an unknown host exits 5", async () => {
    assertRefused(await runAirlock(["digest", "no-such-host.invalid/app:1"]), 5, /cannot resolve host/);
  });

  it("a closed port exits 5", async () => {
    assertRefused(await runAirlock(["digest", "127.0.0.1:1/app:1"]), 5, /connection refused/);
  });

  it("a missing tag or repository exits 3", async () => {
    const flags = await airlockFlags(htpasswd);
    assertRefused(
      await runAirlock(["digest", `${htpasswd.host}/fixtures/multi-oci:nope`, ...flags]),
      3,
      /not found/,
    );
    assertRefused(await runAirlock(["ls", `${htpasswd.host}/no/such/repo`, ...flags]), 3, /not found/);
  });

  it("a platform the image lacks exits 3 and names the ones it has", async () => {
    const flags = await airlockFlags(token);
    const ref = `${token.host}/fixtures/multi-docker:v1`;
    assertRefused(
      await runAirlock(["digest", "--platform", "linux/s390x", ref, ...flags]),
      3,
      /no linux\/s390x image; it has: linux\/amd64, linux\/arm64/,
    );
  });

  it("a wrong password exits 4 (basic and token auth)", async () => {
    for (const registry of [htpasswd, token]) {
      const authfile = await writeAuthFile(registry, "wrong-password");
      const ref = `${registry.host}/fixtures/single-oci:v1`;
      assertRefused(
        await runAirlock(["digest", ref, "--authfile", authfile]),
        4,
        /credentials were refused|refused/,
      );
    }
  });

  it("no credentials at all exits 4 and says how to log in", async () => {
    const ref = `${htpasswd.host}/fixtures/single-oci:v1`;
    assertRefused(await runAirlock(["digest", ref]), 4, /airlock login/);
  });

  it("a TLS registry without --ca-file exits 5 and names the fixes", async () => {
    const ref = `${tls.host}/fixtures/single-oci:v1`;
    assertRefused(await runAirlock(["digest", ref]), 5, /TLS verification .* --ca-file .* --insecure/);
    const insecure = await runAirlock(["digest", "--insecure", ref]);
    assert.equal(insecure.code, 0, insecure.stderr);
  });

  it("credentials never appear in output, errors or verbose logs", async () => {
    for (const registry of [htpasswd, token]) {
      const password = registry.password ?? "";
      const basic = Buffer.from(`${registry.username}:${password}`).toString("base64");
      const wrong = "wrong-pass-Zq9";
      const wrongBasic = Buffer.from(`${registry.username}:${wrong}`).toString("base64");
      const ok = await runAirlock([
        "-v",
        "digest",
        `${registry.host}/fixtures/single-oci:v1`,
        ...(await airlockFlags(registry)),
      ]);
      const bad = await runAirlock([
        "-v",
        "manifest",
        `${registry.host}/fixtures/single-oci:v1`,
        "--authfile",
        await writeAuthFile(registry, wrong),
      ]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(bad.code, 4, bad.stderr);
      assert.match(ok.stderr, /airlock: debug: GET/);
      for (const text of [ok.stdout.toString(), ok.stderr, bad.stdout.toString(), bad.stderr]) {
        for (const secret of [password, basic, wrong, wrongBasic])
          assert.ok(!text.includes(secret), "secret leaked");
        assert.ok(!/authorization/i.test(text), "an Authorization header was logged");
      }
    }
  });
});
