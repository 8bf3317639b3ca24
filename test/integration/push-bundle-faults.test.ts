import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { load } from "js-yaml";
import type { Lock } from "../../src/plan/lock-types.js";
import { pushBigImage } from "../harness/big-image.js";
import { makeBundle } from "../harness/bundles.js";
import { runAirlock } from "../harness/cli.js";
import { spawnAirlock, type ProcessEnd } from "../harness/cli-process.js";
import { startFaultProxy, type FaultProxy, type ProxyLogEntry } from "../harness/fault-proxy.js";
import { assertLanded, pushBundleArgs } from "../harness/push-checks.js";
import { startSeededRegistry } from "../harness/fixtures.js";
import {
  expectedImages,
  orderProblems,
  tagPuts,
  uploadsAgain,
  type ExpectedImage,
} from "../harness/push-order.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";
import { startTagWatcher } from "../harness/tag-watcher.js";

const MiB = 1024 * 1024;
const hexOf = (digest: string): string => digest.slice("sha256:".length);

describe("push-bundle: faults, kill -9 and the order of writes", () => {
  let a: TestRegistry;
  const targets: { stop(): Promise<void> }[] = [];
  let bundle: string;
  let images: ExpectedImage[];
  /** Digests of the big image's 40 MiB and 4 MiB layers. */
  let big: { large: string; medium: string };
  let state: string;

  before(async () => {
    ({ registry: a } = await startSeededRegistry("plain"));
    const image = await pushBigImage(a.url, "big/app", "v1", [40 * MiB, 4 * MiB]);
    big = { large: image.layers[0]?.digest ?? "", medium: image.layers[1]?.digest ?? "" };
    const made = await makeBundle(`images:
  - ${a.host}/big/app:v1
  - ref: ${a.host}/fixtures/multi-oci:v1
    platforms: all
  - ref: ${a.host}/fixtures/multi-docker:v1
    platforms: all
  - ${a.host}/fixtures/single-oci:v1
  - ${a.host}/fixtures/single-docker:v1
`);
    bundle = made.bundle;
    images = expectedImages(load(await readFile(made.lock, "utf8")) as Lock, "site");
    state = await mkdtemp(join(tmpdir(), "airlock-push-faults-"));
  });
  after(async () => {
    await Promise.all([a.stop(), ...targets.map((t) => t.stop())]);
  });

  /** A fresh target registry behind a fault proxy. */
  async function target(): Promise<{ b: TestRegistry; proxy: FaultProxy }> {
    const b = await startRegistry("plain");
    const proxy = await startFaultProxy(b.url);
    targets.push(b, { stop: () => proxy.close() });
    return { b, proxy };
  }

  const pushArgs = (proxy: FaultProxy, journal: string, ...extra: string[]): string[] =>
    pushBundleArgs(bundle, proxy.host, { dir: state, name: journal }, ...extra);

  function assertOrdered(log: readonly ProxyLogEntry[]): void {
    assert.deepEqual(orderProblems(log, images), []);
    for (const image of images) assert.ok(tagPuts(log, image).length > 0, `${image.reference} was tagged`);
  }

  it("completes through bursts of 500/503, 429 with Retry-After, resets mid-upload and lost answers; B is correct", async () => {
    const { b, proxy } = await target();
    const rules = [
      { method: "HEAD", path: new RegExp(`/blobs/${big.large}$`), times: 3, action: status(500) },
      { method: "PUT", path: /\/manifests\/sha256:/, times: 2, action: status(503) },
      { method: "POST", path: /\/blobs\/uploads\/$/, times: 2, action: status(429, 1) },
      { method: "PUT", path: /\/manifests\/(?!sha256:)[^/]+$/, action: status(429, 1) },
      { method: "PATCH", path: /\/blobs\/uploads\//, action: cut(MiB) },
      { method: "PATCH", path: /\/blobs\/uploads\//, skip: 3, action: cut(5 * MiB) },
      { method: "PUT", path: new RegExp(`digest=sha256(?::|%3A)${hexOf(big.medium)}`), action: cut(MiB) },
      { method: "PUT", path: /\/manifests\/sha256:/, skip: 3, action: cut(100) },
      // Lost answers: the registry acts, airlock never hears (the chunked upload's closing PUT, a tag).
      { method: "PUT", path: new RegExp(`digest=sha256(?::|%3A)${hexOf(big.large)}`), action: lose() },
      { method: "PUT", path: /\/manifests\/(?!sha256:)[^/]+$/, skip: 1, action: lose() },
    ].map((rule) => proxy.addRule(rule));
    // Chunks of 16 MiB: the 40 MiB layer goes in 3 PATCHes, the 4 MiB one in one streamed PUT.
    const res = await runAirlock(pushArgs(proxy, "faults.jsonl", "--chunk-size", "16M"));
    assert.equal(res.code, 0, res.stderr);
    for (const rule of rules) assert.equal(rule.fired, rule.times ?? 1, `rule ${rule.path} fired`);
    assert.ok(
      proxy.log.some((e) => e.injected === "cut" && e.status === 0 && e.bytesIn > 0),
      "a connection was cut mid-body",
    );
    await assertLanded(b, images);
    assertOrdered(proxy.log);
  });

  it("killed with SIGKILL after a manifest, mid-blob and between a blob and its manifest, then run again, ends correct; no tag is ever seen incomplete", async () => {
    const { b, proxy } = await target();
    // The big layer goes in one streamed PUT (the default). Held back a little, it finishes last, so
    // the kills land with tags still to write; so is the big image's manifest, so that a kill after
    // the blob is in and before the manifest lands there.
    const bigPut = new RegExp(`digest=sha256(?::|%3A)${hexOf(big.large)}`);
    const bigImage = images.find((i) => i.repository === "site/big/app")?.digest ?? "";
    proxy.addRule({ method: "PUT", path: bigPut, times: Infinity, action: delay(500) });
    proxy.addRule({
      method: "PUT",
      path: new RegExp(`/manifests/${bigImage}$`),
      times: Infinity,
      action: delay(300),
    });
    const watcher = startTagWatcher(b.url, [...new Set(images.map((i) => i.repository))]);
    const args = pushArgs(proxy, "killed.jsonl");
    const midBigBlob = (e: ProxyLogEntry): boolean =>
      e.method === "PUT" && bigPut.test(e.path) && e.bytesIn >= 8 * MiB;
    const isManifestPut = (e: ProxyLogEntry): boolean =>
      e.method === "PUT" && /\/manifests\/sha256:/.test(e.path) && e.status === 201;
    const bigBlobIn = (e: ProxyLogEntry): boolean =>
      e.method === "PUT" && bigPut.test(e.path) && e.status === 201;
    const kills = [
      await runUntil(proxy, args, isManifestPut, 1),
      await runUntil(proxy, args, midBigBlob, 1),
      await runUntil(proxy, args, bigBlobIn, 1),
    ];
    const lastStart = proxy.log.length;
    const last = await (await spawnAirlock(args)).ended;
    const report = await watcher.stop();
    kills.forEach((end, i) =>
      assert.equal(end.signal, "SIGKILL", `run ${i + 1} killed mid-run: ${end.stderr}`),
    );
    assert.equal(last.code, 0, last.stderr);
    assert.deepEqual(report.violations, []);
    for (const image of images) {
      assert.equal(report.seen.get(`${image.repository}:${image.tag}`), image.digest, image.reference);
    }
    assert.ok(report.polls > 10, `the watcher polled (${report.polls} rounds)`);
    assert.deepEqual(uploadsAgain(proxy.log, lastStart), [], "the last run re-uploads no finished blob");
    await assertLanded(b, images);
    assertOrdered(proxy.log);
  });
});

function status(code: number, retryAfter?: number) {
  return { kind: "status" as const, status: code, ...(retryAfter === undefined ? {} : { retryAfter }) };
}

function cut(afterBytes: number) {
  return { kind: "cut" as const, afterBytes };
}

function lose() {
  return { kind: "lose" as const };
}

function delay(ms: number) {
  return { kind: "delay" as const, ms };
}

/** Starts a push and kills it with SIGKILL once `count` log entries of this run match `test`. */
async function runUntil(
  proxy: FaultProxy,
  args: string[],
  test: (e: ProxyLogEntry) => boolean,
  count: number,
): Promise<ProcessEnd> {
  const start = proxy.log.length;
  const run = await spawnAirlock(args);
  let matched = 0;
  const trigger = proxy.waitFor((e) => e.seq >= start && test(e) && ++matched >= count);
  const first = await Promise.race([trigger, run.ended]);
  return "seq" in first ? await run.kill() : first;
}
