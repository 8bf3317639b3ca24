// `npm run bench:faults [-- RUNS]`: push-bundle through the fault proxy at issue 20's rates (every
// 7th request answered 500, every 11th 429 with Retry-After: 1, every 13th cut mid-body; and, as
// most 13th requests carry no body to cut, every 4th PUT cut mid-body too), RUNS times in a row
// (default 10), each into a fresh registry. Every run must complete with every tag
// at its locked digest; prints each run's time and retries. Exit 1 if any run failed.
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { load } from "js-yaml";
import type { Lock } from "../src/plan/lock-types.js";
import { sha256Digest } from "../src/oci/digest.js";
import type { PushBundleResult } from "../src/verbs/push-bundle.js";
import { pushBigImage } from "../test/harness/big-image.js";
import { makeBundle } from "../test/harness/bundles.js";
import { runAirlock } from "../test/harness/cli.js";
import { startFaultProxy } from "../test/harness/fault-proxy.js";
import { startSeededRegistry } from "../test/harness/fixtures.js";
import { expectedImages, type ExpectedImage } from "../test/harness/push-order.js";
import { startRegistry } from "../test/harness/registry.js";
import { runSkopeo } from "../test/harness/tools.js";

const MiB = 1024 * 1024;
const RUNS = Number(process.argv[2] ?? 10);

/** Tags whose manifest in `host` is not the locked one. */
async function wrongTags(host: string, images: ExpectedImage[]): Promise<string[]> {
  const wrong: string[] = [];
  for (const image of images) {
    const ref = `docker://${host}/${image.repository}:${image.tag}`;
    const raw = await runSkopeo(["inspect", "--raw", "--tls-verify=false", ref]).catch(() => undefined);
    if (raw === undefined || sha256Digest(raw.stdout) !== image.digest) wrong.push(image.reference);
  }
  return wrong;
}

/** One push through a fresh registry behind a fresh fault proxy; a line for the table, and whether it passed. */
async function run(n: number, bundle: string, images: ExpectedImage[]): Promise<boolean> {
  const target = await startRegistry("plain");
  const proxy = await startFaultProxy(target.url);
  try {
    const any = /^\/v2\/./;
    proxy.addRule({ path: any, every: 7, times: Infinity, action: { kind: "status", status: 500 } });
    proxy.addRule({
      path: any,
      every: 11,
      times: Infinity,
      action: { kind: "status", status: 429, retryAfter: 1 },
    });
    proxy.addRule({ path: any, every: 13, times: Infinity, action: { kind: "cut", afterBytes: 64 * 1024 } });
    const puts = { method: "PUT", path: any, every: 4, times: Infinity };
    proxy.addRule({ ...puts, action: { kind: "cut", afterBytes: 512 } });
    const began = performance.now();
    const journal = join(await mkdtemp(join(tmpdir(), "airlock-fault-stress-")), "journal.jsonl");
    const args = ["push-bundle", bundle, "--to", `${proxy.host}/site`, "--journal", journal];
    const res = await runAirlock([...args, "--json", "--quiet"]);
    const seconds = ((performance.now() - began) / 1000).toFixed(1);
    const cuts = proxy.log.filter((e) => e.injected === "cut" && e.status === 0).length;
    const errors = proxy.log.filter((e) => e.injected === "status").length;
    if (res.code !== 0) {
      console.log(`run ${n}: FAILED (exit ${res.code}) after ${seconds} s: ${res.stderr.trim()}`);
      return false;
    }
    const result = JSON.parse(res.stdout.toString()) as PushBundleResult;
    const wrong = await wrongTags(target.host, images);
    const status = wrong.length === 0 ? "ok" : `WRONG TAGS: ${wrong.join(", ")}`;
    console.log(
      `run ${n}: ${status} in ${seconds} s; ${proxy.log.length} requests, ${errors} errors and ${cuts} cuts injected, ${result.stats.retries ?? 0} retries`,
    );
    return wrong.length === 0;
  } finally {
    await proxy.close();
    await target.stop();
  }
}

const { registry: source } = await startSeededRegistry("plain");
let passed = 0;
try {
  await pushBigImage(source.url, "big/app", "v1", [48 * MiB, 8 * MiB]);
  await pushBigImage(source.url, "big/tool", "v1", [24 * MiB, 2 * MiB, 2 * MiB]);
  const made = await makeBundle(`images:
  - ${source.host}/big/app:v1
  - ${source.host}/big/tool:v1
  - ref: ${source.host}/fixtures/multi-oci:v1
    platforms: all
  - ref: ${source.host}/fixtures/multi-docker:v1
    platforms: all
  - ${source.host}/fixtures/single-oci:v1
  - ${source.host}/fixtures/single-docker:v1
`);
  const images = expectedImages(load(await readFile(made.lock, "utf8")) as Lock, "site");
  for (let n = 1; n <= RUNS; n++) if (await run(n, made.bundle, images)) passed++;
} finally {
  await source.stop();
}
console.log(`${passed} of ${RUNS} pushes completed through the faults`);
process.exitCode = passed === RUNS ? 0 : 1;
