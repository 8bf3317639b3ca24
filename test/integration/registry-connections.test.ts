/**
 * What airlock's requests cost in connections, seen by a proxy in front of the real registry
 * (Distribution 2.8): a HEAD does not close its connection (undici 7 would, unasked), and `lock`
 * looks up what is attached to an image (cosign's tags, the referrers fallback tag) with one GET
 * each, a miss a 404 and a hit the manifest's bytes, never a HEAD and then a GET of the same
 * manifest.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { load } from "js-yaml";
import type { Lock } from "../../src/plan/lock-types.js";
import { connectRegistry } from "../../src/registry/connect.js";
import { runAirlock } from "../harness/cli.js";
import { startFaultProxy, type FaultProxy, type ProxyLogEntry } from "../harness/fault-proxy.js";
import { digestTag, type SignedFixture } from "../harness/fixture-images.js";
import { startSeededRegistry } from "../harness/fixtures.js";
import type { TestRegistry } from "../harness/registry.js";

const ROUNDS = 5;

describe("registry connections", () => {
  let registry: TestRegistry;
  let signed: SignedFixture;
  let dir: string;

  before(async () => {
    let fixtures;
    ({ registry, fixtures } = await startSeededRegistry("plain"));
    signed = fixtures.signed;
    dir = await mkdtemp(join(tmpdir(), "airlock-connections-"));
  });
  after(async () => registry.stop());

  const withProxy = async (run: (proxy: FaultProxy) => Promise<void>): Promise<void> => {
    const proxy = await startFaultProxy(registry.url);
    try {
      await run(proxy);
    } finally {
      await proxy.close();
    }
  };
  const connectionsOf = (entries: readonly ProxyLogEntry[]): Set<number> =>
    new Set(entries.map((e) => e.connection));

  it("HEADs one after another go on one kept-alive connection", async () => {
    await withProxy(async (proxy) => {
      const client = await connectRegistry(proxy.host);
      try {
        const [amd64] = signed.platforms;
        assert.ok(amd64 !== undefined);
        for (let i = 0; i < ROUNDS; i++) {
          assert.equal((await client.manifestHead(signed.name, signed.tag))?.digest, signed.node.digest);
          assert.equal(await client.manifestHead(signed.name, digestTag(amd64.digest, "att")), undefined);
          assert.equal(await client.blobHead(signed.name, amd64.config.digest), amd64.config.size);
        }
        await client.manifestGet(signed.name, signed.node.digest);
      } finally {
        await client.close();
      }
      const heads = proxy.log.filter((e) => e.method === "HEAD");
      assert.equal(heads.length, 3 * ROUNDS);
      // undici's pool may open a second connection while the first is finishing an answer, not one per HEAD.
      const connections = connectionsOf(proxy.log).size;
      assert.ok(connections <= 2, `${heads.length} HEADs on ${connections} connections`);
    });
  });

  it("lock finds attached manifests with one GET each, connections reused", async () => {
    await withProxy(async (proxy) => {
      const list = join(dir, "signed.yaml");
      await writeFile(
        list,
        `images:\n  - ref: ${proxy.host}/${signed.name}:${signed.tag}\n    platforms: all\n`,
      );
      const run = await runAirlock(["lock", "-f", list]);
      assert.equal(run.code, 0, run.stderr);
      const lock = load(await readFile(join(dir, "signed.lock"), "utf8")) as Lock;
      const attached = lock.entries.flatMap((e) => e.images).flatMap((i) => i.attached ?? []);
      assert.ok(attached.length >= 6, "the signatures, attestation, SBOM and referrers are locked");

      const manifests = proxy.log.filter((e) => e.path.includes("/manifests/"));
      assert.deepEqual(
        manifests.filter((e) => e.method !== "GET").map((e) => `${e.method} ${e.path}`),
        [],
        "no manifest is looked for with HEAD",
      );
      const asked = (ref: string): ProxyLogEntry[] =>
        manifests.filter((e) => e.path === `/v2/${signed.name}/manifests/${ref}`);
      // cosign's tags of the index, its platforms and the SBOM referrer: a hit or a 404, one GET each.
      const subjects = [signed.node.digest, ...signed.platforms.map((p) => p.digest)];
      for (const subject of subjects) {
        for (const suffix of ["sig", "att", "sbom"]) {
          assert.equal(asked(digestTag(subject, suffix)).length, 1, `${subject} .${suffix}: one GET`);
        }
      }
      // What a tag found is not fetched again by its digest.
      for (const { tag, node } of signed.tagged) {
        assert.equal(asked(tag).length, 1, `${tag}: one GET`);
        assert.deepEqual(asked(node.digest), [], `${tag} is not fetched again by digest`);
      }
      // Lookups run side by side (a connection each), and later ones reuse those connections.
      const connections = connectionsOf(proxy.log).size;
      assert.ok(connections < proxy.log.length, `${proxy.log.length} requests on ${connections} connections`);
    });
  });
});
