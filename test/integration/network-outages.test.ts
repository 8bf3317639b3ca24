/**
 * Registries that go away mid-run and come back: the real registry process
 * stopped during a push-bundle and during a create-bundle download and
 * started again seconds later on the same port and storage; a push through
 * the fault proxy at steady rates of 500s, 429s and cut uploads; and a
 * registry that refuses connections from the start, which must still fail
 * at once.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, readdir, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { load } from "js-yaml";
import type { Lock } from "../../src/plan/lock-types.js";
import type { PushBundleResult } from "../../src/verbs/push-bundle.js";
import { pushBigImage } from "../harness/big-image.js";
import { makeBundle } from "../harness/bundles.js";
import { runAirlock } from "../harness/cli.js";
import { spawnAirlock, type CliProcess } from "../harness/cli-process.js";
import { startFaultProxy } from "../harness/fault-proxy.js";
import { startSeededRegistry } from "../harness/fixtures.js";
import { assertLanded, pushBundleArgs } from "../harness/push-checks.js";
import { expectedImages, type ExpectedImage } from "../harness/push-order.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";

const MiB = 1024 * 1024;
/** Long enough for several backoff rounds; the 20 s restart proves nothing more. */
const OUTAGE_MS = 6_000;

/** Resolves once a file under `dir` whose path passes `test` holds at least `bytes`; polls. */
async function fileGrowing(dir: string, test: (path: string) => boolean, bytes: number): Promise<void> {
  for (;;) {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const path = join(e.parentPath, e.name);
      if (!e.isFile() || !test(path)) continue;
      // Allocated bytes: a tar written by position has its full length early, its blocks as data lands.
      const size = await stat(path).then(
        (s) => s.blocks * 512,
        () => 0,
      );
      if (size >= bytes) return;
    }
    await sleep(10);
  }
}

/** Waits for `trigger`, failing if the run ends first (then it was never interrupted). */
async function whileRunning(run: CliProcess, trigger: Promise<void>): Promise<void> {
  const ended = run.ended.then((end) => {
    throw new Error(`the run ended before the outage (code ${end.code}): ${end.stderr}`);
  });
  await Promise.race([trigger, ended]);
}

/** Stops the registry's process, and starts it again on the same port after `ms`. */
async function outage(registry: TestRegistry, ms: number): Promise<void> {
  await registry.stopProcess();
  await sleep(ms);
  await registry.startProcess();
}

/** A port nothing listens on (bound, then freed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("registries that go away mid-run and come back", () => {
  let a: TestRegistry;
  const others: { stop(): Promise<void> }[] = [];
  let made: Awaited<ReturnType<typeof makeBundle>>;
  let images: ExpectedImage[];
  let state: string;
  /** The 24 MiB layer's digest: its first upload is cut mid-body, whatever else the rates hit. */
  let toolLayer: string;

  before(async () => {
    ({ registry: a } = await startSeededRegistry("plain"));
    await pushBigImage(a.url, "big/app", "v1", [64 * MiB, 8 * MiB]);
    toolLayer = (await pushBigImage(a.url, "big/tool", "v1", [24 * MiB])).layers[0]?.digest ?? "";
    made = await makeBundle(`images:
  - ${a.host}/big/app:v1
  - ${a.host}/big/tool:v1
  - ref: ${a.host}/fixtures/multi-oci:v1
    platforms: all
  - ${a.host}/fixtures/single-oci:v1
  - ${a.host}/fixtures/single-docker:v1
`);
    images = expectedImages(load(await readFile(made.lock, "utf8")) as Lock, "site");
    state = await mkdtemp(join(tmpdir(), "airlock-outages-"));
  });
  after(async () => {
    await Promise.all([a.stop(), ...others.map((o) => o.stop())]);
  });

  const push = (to: string, journal: string, ...extra: string[]): string[] =>
    pushBundleArgs(made.bundle, to, { dir: state, name: journal }, ...extra);

  it("push-bundle: the target registry stopped mid-upload and started again seconds later; the push waits and completes", async () => {
    const b = await startRegistry("plain");
    others.push(b);
    const run = await spawnAirlock(push(b.host, "outage.jsonl"));
    const uploading = (path: string): boolean => path.includes("/_uploads/") && path.endsWith("/data");
    await whileRunning(run, fileGrowing(b.storageDir, uploading, 4 * MiB));
    const began = performance.now();
    await outage(b, OUTAGE_MS);
    const end = await run.ended;
    assert.equal(end.code, 0, end.stderr);
    assert.ok(performance.now() - began >= OUTAGE_MS - 100, "the push outlasted the outage");
    const result = JSON.parse(end.stdout) as PushBundleResult;
    assert.deepEqual(result.failures, []);
    assert.equal(result.images.length, images.length);
    assert.ok((result.stats.retries ?? 0) > 0, `retries counted: ${result.stats.retries}`);
    await assertLanded(b, images);
  });

  it("create-bundle: the source registry stopped mid-download and started again; the bundle is byte-identical to an undisturbed one", async () => {
    const out = join(made.dir, "out-outage");
    await mkdir(out);
    const cache = join(made.dir, "cache-outage");
    const bundle = join(out, "bundle.tar");
    const args = ["create-bundle", "-f", made.list, "-o", bundle, "--cache", cache];
    const run = await spawnAirlock(args);
    await whileRunning(
      run,
      fileGrowing(out, (path) => path.endsWith(".partial"), 8 * MiB),
    );
    const began = performance.now();
    await outage(a, OUTAGE_MS);
    const end = await run.ended;
    assert.equal(end.code, 0, end.stderr);
    assert.ok(performance.now() - began >= OUTAGE_MS - 100, "the download outlasted the outage");
    assert.match(end.stderr, /^waiting for 127\.0\.0\.1:\d+: unreachable for \d+ s, retrying$/m);
    assert.ok((await readFile(bundle)).equals(await readFile(made.bundle)), "the same bytes");
  });

  it("push-bundle through a proxy answering every 7th request 500, every 11th 429 and cutting every 3rd upload mid-body completes, counting its retries", async () => {
    const b = await startRegistry("plain");
    const proxy = await startFaultProxy(b.url);
    others.push(b, { stop: () => proxy.close() });
    const any = /^\/v2\/./;
    const rules = [
      {
        method: "PUT",
        path: new RegExp(toolLayer.slice("sha256:".length)),
        action: { kind: "cut" as const, afterBytes: 256 * 1024 },
      },
      { path: any, every: 7, times: Infinity, action: { kind: "status" as const, status: 500 } },
      {
        path: any,
        every: 11,
        times: Infinity,
        action: { kind: "status" as const, status: 429, retryAfter: 1 },
      },
      {
        method: "PUT",
        path: /\/blobs\/uploads\//,
        every: 3,
        times: Infinity,
        action: { kind: "cut" as const, afterBytes: 256 * 1024 },
      },
    ].map((rule) => proxy.addRule(rule));
    const res = await runAirlock(push(proxy.host, "faults.jsonl"));
    assert.equal(res.code, 0, res.stderr);
    for (const rule of rules) assert.ok(rule.fired > 0, `rule ${rule.every} fired`);
    assert.ok(
      proxy.log.some((e) => e.injected === "cut" && e.status === 0 && e.bytesIn > 0),
      "an upload was cut mid-body",
    );
    const result = JSON.parse(res.stdout.toString()) as PushBundleResult;
    assert.deepEqual(result.failures, []);
    // Every injected error is retried, but on a best-effort DELETE (cancelling a cut upload's session).
    const injected = proxy.log.filter((e) => e.injected === "status" && e.method !== "DELETE").length;
    assert.ok(
      (result.stats.retries ?? 0) >= injected,
      `${result.stats.retries} retries for ${injected} errors`,
    );
    await assertLanded(b, images);
  });

  it("an image that failed for a retryable cause gets a second pass at the end of the run and lands", async () => {
    const b = await startRegistry("plain");
    const proxy = await startFaultProxy(b.url);
    others.push(b, { stop: () => proxy.close() });
    // One image's manifest is refused for longer than a 1 s retry budget lasts, then accepted.
    const image = images[0];
    assert.ok(image !== undefined);
    const rule = proxy.addRule({
      method: "PUT",
      path: new RegExp(`^/v2/${image.repository}/manifests/`),
      times: 4,
      action: { kind: "status", status: 503 },
    });
    const res = await runAirlock(push(proxy.host, "second-pass.jsonl", "--retry-for", "1s"));
    assert.equal(res.code, 0, res.stderr);
    assert.equal(rule.fired, 4);
    const result = JSON.parse(res.stdout.toString()) as PushBundleResult;
    assert.deepEqual(result.failures, []);
    assert.equal(result.retried, 1, "one image got a second pass");
    await assertLanded(b, images);
  });

  it("a registry that refuses connections from the start fails at once with exit 5, not after the retry budget", async () => {
    const port = await closedPort();
    const began = performance.now();
    const res = await runAirlock(push(`127.0.0.1:${port}`, "refused.jsonl"));
    const took = performance.now() - began;
    assert.equal(res.code, 5, res.stderr);
    assert.doesNotMatch(res.stderr, /retrying/);
    // The budget is 5 minutes; a first-contact failure must not spend it. The bound is loose so a
    // loaded machine's slow process start-up does not matter: a retry loop would take minutes.
    assert.ok(took < 30_000, `took ${Math.round(took)} ms`);
  });
});
