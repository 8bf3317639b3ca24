import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connectRegistry } from "../../src/registry/connect.js";
import { runAirlock } from "../harness/cli.js";
import { startSeededRegistry, type FixtureSet } from "../harness/fixtures.js";
import type { TestRegistry } from "../harness/registry.js";

describe("TLS trust (registry with a test CA)", () => {
  let registry: TestRegistry;
  let fixtures: FixtureSet;
  before(async () => {
    ({ registry, fixtures } = await startSeededRegistry("tls"));
  });
  after(async () => registry.stop());

  it("trusts a CA found in ~/.config/containers/certs.d/HOST:PORT/", async () => {
    const home = await mkdtemp(join(tmpdir(), "airlock-home-"));
    const dir = join(home, ".config/containers/certs.d", registry.host);
    await mkdir(dir, { recursive: true });
    await copyFile(registry.caFile ?? "", join(dir, "ca.crt"));
    const image = fixtures.byRef("fixtures/single-oci:v1");
    const res = await runAirlock(["digest", `${registry.host}/${image.name}:${image.tag}`], {
      env: { HOME: home },
    });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.toString().trim(), image.digest);
  });

  it("uses certs.d roots given to the library, and refuses without them", async () => {
    const root = await mkdtemp(join(tmpdir(), "airlock-certs-"));
    await mkdir(join(root, registry.host));
    await copyFile(registry.caFile ?? "", join(root, registry.host, "ca.crt"));
    const trusted = await connectRegistry(registry.host, { certsDirs: [root] });
    const untrusted = await connectRegistry(registry.host, { certsDirs: [] });
    try {
      await trusted.ping();
      await assert.rejects(untrusted.ping(), { code: "ERR_TLS" });
    } finally {
      await Promise.all([trusted.close(), untrusted.close()]);
    }
  });

  it("never falls back to plain HTTP on a TLS port, and --plain-http to it fails clearly", async () => {
    const ref = `${registry.host}/fixtures/single-oci:v1`;
    const res = await runAirlock(["digest", "--plain-http", ref]);
    assert.equal(res.code, 5, res.stderr);
    assert.match(res.stderr, /^airlock: error: .*probably speaks TLS: drop --plain-http\n$/);
  });
});
