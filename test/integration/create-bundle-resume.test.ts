/**
 * create-bundle killed with SIGKILL (no chance to clean up) early, half-way
 * and near the end, then run again: nothing is ever under the final name
 * before the end, each re-run downloads only the blobs that had not arrived
 * (each arrived layer is in the partial tar, named by its journal; manifests
 * and configs are also in the cache), and the bundle is byte-identical to an
 * uninterrupted run's.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { access, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pushBigImage } from "../harness/big-image.js";
import { runAirlock } from "../harness/cli.js";
import { startFaultProxy, type FaultProxy } from "../harness/fault-proxy.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";

const MAIN = join(import.meta.dirname, "..", "..", "dist", "cli", "main.js");
const MiB = 1024 * 1024;
const LAYERS = 12;

describe("create-bundle: killed with SIGKILL and run again", () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let dir: string;
  let list: string;

  before(async () => {
    registry = await startRegistry("plain");
    await pushBigImage(
      registry.url,
      "big/resume",
      "v1",
      Array.from({ length: LAYERS }, () => 2 * MiB),
    );
    proxy = await startFaultProxy(registry.url);
    dir = await mkdtemp(join(tmpdir(), "airlock-resume-"));
    list = join(dir, "airlock.yaml");
    await writeFile(list, `images:\n  - ${proxy.host}/big/resume:v1\n`);
    const locked = await runAirlock(["lock", "-f", list, "--cache", join(dir, "lock-cache")]);
    assert.equal(locked.code, 0, locked.stderr);
    // Each layer download waits a little, so the run lasts long enough to be killed part-way.
    proxy.addRule({
      method: "GET",
      path: /\/blobs\/sha256:/,
      times: Infinity,
      action: { kind: "delay", ms: 250 },
    });
  });
  after(async () => Promise.all([proxy.close(), registry.stop()]));

  const blobGets = (from: number): number =>
    proxy.log.slice(from).filter((e) => e.method === "GET" && /\/blobs\/sha256:/.test(e.path)).length;
  /** Blobs that arrived: in the cache's files, or written into the partial tar as its journal says. */
  const arrivedBlobs = async (cache: string, out: string): Promise<number> => {
    const files = await readdir(join(cache, "blobs", "sha256")).catch(() => []);
    const journal = await readFile(`${out}.partial.journal`, "utf8").catch(() => "");
    const journaled = journal
      .split("\n")
      .flatMap((l) => (l.startsWith("blobs/sha256/") ? [l.slice(13)] : []));
    return new Set([...files, ...journaled]).size;
  };
  const args = (out: string, cache: string): string[] => [
    MAIN,
    "create-bundle",
    "-f",
    list,
    "-o",
    out,
    "--cache",
    cache,
    "--concurrency",
    "2",
  ];

  /** Runs create-bundle and kills it with SIGKILL once fetching has passed `percent`. */
  async function killAt(out: string, cache: string, percent: number): Promise<void> {
    const child = spawn(process.execPath, args(out, cache), {
      stdio: ["ignore", "ignore", "pipe"],
      env: { PATH: process.env.PATH, HOME: dir, AIRLOCK_PROGRESS_INTERVAL_MS: "20" },
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const seen = [...stderr.matchAll(/fetching: .*?\((\d+)%\)/g)].map((m) => Number(m[1]));
      if (seen.some((p) => p >= percent)) child.kill("SIGKILL");
    });
    const end = await new Promise<NodeJS.Signals | null>((resolve) =>
      child.once("close", (_code, signal) => resolve(signal)),
    );
    assert.equal(end, "SIGKILL", `killed at ${percent}%:\n${stderr}`);
  }

  it("resumes without downloading again what arrived, and writes the same bytes", async () => {
    const whole = join(dir, "whole.tar");
    const first = await runAirlock(args(whole, join(dir, "cache-whole")).slice(1));
    assert.equal(first.code, 0, first.stderr);

    const out = join(dir, "resumed.tar");
    const cache = join(dir, "cache-resumed");
    // Each run, killed or not, asks only for what had not arrived before it.
    const runs: { arrivedBefore: number; gets: number }[] = [];
    for (const percent of [10, 50, 90]) {
      const arrivedBefore = await arrivedBlobs(cache, out);
      const mark = proxy.log.length;
      await killAt(out, cache, percent);
      runs.push({ arrivedBefore, gets: blobGets(mark) });
      await assert.rejects(access(out), "nothing under the final name after a kill");
    }
    // Killed half-way, the run had some blobs and not all (under load more may land before the kill).
    const halfWay = runs[2]?.arrivedBefore ?? 0;
    assert.ok(halfWay > 0 && halfWay < LAYERS + 2, `some, not all, had arrived half-way: ${halfWay}`);
    const arrived = await arrivedBlobs(cache, out);
    const before = proxy.log.length;
    const again = await runAirlock(args(out, cache).slice(1));
    assert.equal(again.code, 0, again.stderr);
    runs.push({ arrivedBefore: arrived, gets: blobGets(before) });
    for (const [i, run] of runs.entries()) {
      assert.ok(
        run.gets <= LAYERS + 2 - run.arrivedBefore,
        `run ${i + 1}: ${run.gets} GETs, ${run.arrivedBefore} had arrived`,
      );
    }
    assert.deepEqual(await readFile(out), await readFile(whole));
  });
});
