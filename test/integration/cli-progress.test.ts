/**
 * The progress display as users see it: without a terminal, plain lines
 * (every AIRLOCK_PROGRESS_INTERVAL_MS, set short here) with human units, a
 * percent and a last line at 100%; on a pseudo-terminal (util-linux
 * `script`), cli-progress bars that end at 100%; nothing with --quiet or
 * --json. A fault proxy holds a download and an upload back, so lines are
 * printed while a phase is under way.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { formatBytes } from "../../src/plan/diff-format.js";
import { pushBigImage } from "../harness/big-image.js";
import { runAirlock } from "../harness/cli.js";
import { startFaultProxy, type FaultProxy } from "../harness/fault-proxy.js";
import { startSeededRegistry } from "../harness/fixtures.js";
import { runAirlockInPty } from "../harness/pty.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";

const MiB = 1024 * 1024;
const FAST = { AIRLOCK_PROGRESS_INTERVAL_MS: "40" };
const SIZE = String.raw`\d+(?:\.\d)? (?:B|KiB|MiB|GiB)`;
const PLAIN = new RegExp(String.raw`^(\w+): (${SIZE}) / (${SIZE}) \((\d+)%\)(.*)$`);

interface PlainLine {
  phase: string;
  done: string;
  total: string;
  percent: number;
  rest: string;
}

/** The plain progress lines of `phase` in stderr. */
function plainLines(stderr: string, phase: string): PlainLine[] {
  return stderr.split("\n").flatMap((line) => {
    const m = PLAIN.exec(line);
    if (m === null || m[1] !== phase) return [];
    return [{ phase, done: m[2] ?? "", total: m[3] ?? "", percent: Number(m[4]), rest: m[5] ?? "" }];
  });
}

/** Lines for `phase` were printed, and the last one is the whole, at 100%, with how long it took. */
function assertEndsComplete(stderr: string, phase: string, total?: number): PlainLine[] {
  const lines = plainLines(stderr, phase);
  const last = lines.at(-1);
  assert.ok(last !== undefined, `no ${phase} line in:\n${stderr}`);
  assert.equal(last.percent, 100, stderr);
  assert.equal(last.done, last.total, stderr);
  if (total !== undefined) assert.equal(last.total, formatBytes(total));
  assert.match(last.rest, /in \d+s/);
  return lines;
}

/** Terminal control sequences (cursor moves, line clears). */
const CONTROL = new RegExp(String.raw`\u001b\[[0-9;?]*[A-Za-z]`, "g");

/** What a terminal showed, each control sequence read as a line break. */
function screenText(output: string): string {
  return output.replace(CONTROL, "\n").replace(/\r/g, "\n");
}

/** The bar frames of `phase` a terminal showed, in order. */
function barFrames(output: string, phase: string): { percent: number; done: string; total: string }[] {
  const frame = new RegExp(String.raw`^${phase}\s+\[[█░]+\]\s+(\d+)% (${SIZE}) / (${SIZE})`);
  return screenText(output)
    .split("\n")
    .flatMap((line) => {
      const m = frame.exec(line.trim());
      return m === null ? [] : [{ percent: Number(m[1]), done: m[2] ?? "", total: m[3] ?? "" }];
    });
}

describe("progress on stderr: plain lines without a terminal, bars on one", () => {
  let a: TestRegistry;
  let b: TestRegistry;
  let fromA: FaultProxy;
  let toB: FaultProxy;
  let dir: string;
  let list: string;
  let bundle: string;
  let home: string;

  before(async () => {
    [{ registry: a }, b] = await Promise.all([startSeededRegistry("plain"), startRegistry("plain")]);
    await pushBigImage(a.url, "big/app", "v1", [6 * MiB, 2 * MiB]);
    [fromA, toB] = await Promise.all([startFaultProxy(a.url), startFaultProxy(b.url)]);
    dir = await mkdtemp(join(tmpdir(), "airlock-progress-"));
    home = join(dir, "home");
    await mkdir(home);
    list = join(dir, "airlock.yaml");
    await writeFile(
      list,
      `images:\n  - ${fromA.host}/big/app:v1\n  - ref: ${fromA.host}/fixtures/multi-oci:v1\n    platforms: all\n  - ${fromA.host}/fixtures/single-oci:v1\n`,
    );
    const locked = await runAirlock(["lock", "-f", list]);
    assert.equal(locked.code, 0, locked.stderr);
    bundle = join(dir, "site.tar");
  });
  after(async () => {
    await Promise.all([fromA.close(), toB.close()]);
    await Promise.all([a.stop(), b.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it("create-bundle: fetching and writing lines in human units, while it works and at 100% at the end", async () => {
    // The first blob download waits, so the fetching phase is seen under way.
    fromA.addRule({ method: "GET", path: /\/blobs\/sha256:/, action: { kind: "delay", ms: 600 } });
    const res = await runAirlock(["create-bundle", "-f", list, "-o", bundle, "--cache", join(dir, "cache")], {
      env: FAST,
    });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /^carrying 3 images/m);
    const fetching = assertEndsComplete(res.stderr, "fetching");
    assert.ok(
      fetching.some((l) => l.percent < 100),
      `a line while fetching was under way:\n${res.stderr}`,
    );
    assert.match(fetching.at(-1)?.rest ?? "", new RegExp(String.raw`, ${SIZE}/s, in \d+s`));
    assertEndsComplete(res.stderr, "writing", (await stat(bundle)).size);
    const written = res.stderr.indexOf("\nwrote ");
    assert.ok(written > res.stderr.lastIndexOf("writing: "), "the summary comes after the progress");
  });

  it("push-bundle: reaches 100% whether blobs are uploaded, already there or mounted", async () => {
    const journal = join(dir, "journal.jsonl");
    const push = (prefix: string) =>
      runAirlock(["push-bundle", bundle, "--to", `${toB.host}/${prefix}`, "--journal", journal], {
        env: FAST,
      });
    toB.addRule({ method: "PUT", path: /\/blobs\/uploads\//, action: { kind: "delay", ms: 600 } });
    const first = await push("site");
    assert.equal(first.code, 0, first.stderr);
    const lines = assertEndsComplete(first.stderr, "pushing");
    assert.ok(
      lines.some((l) => l.percent < 100),
      `a line while pushing was under way:\n${first.stderr}`,
    );
    assert.match(first.stderr, /^pushed: /m);

    const again = await push("site");
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /^unchanged: /m);
    assertEndsComplete(again.stderr, "pushing");

    const mounted = await push("mirror");
    assert.equal(mounted.code, 0, mounted.stderr);
    assert.match(mounted.stderr, /0 blobs uploaded .*, [1-9]\d* mounted/);
    assertEndsComplete(mounted.stderr, "pushing");
  });

  it("verify-bundle, copy and sync end at 100% too", async () => {
    const verified = await runAirlock(["verify-bundle", bundle], { env: FAST });
    assert.equal(verified.code, 0, verified.stderr);
    assertEndsComplete(verified.stderr, "verifying", (await stat(bundle)).size);

    const copied = await runAirlock(
      ["copy", `docker://${fromA.host}/big/app:v1`, `oci:${join(dir, "layout")}:v1`],
      { env: FAST },
    );
    assert.equal(copied.code, 0, copied.stderr);
    assertEndsComplete(copied.stderr, "copying");

    const syncList = join(dir, "sync.yaml");
    await writeFile(
      syncList,
      `images:\n  - ${fromA.host}/big/app:v1\n  - ${fromA.host}/fixtures/single-oci:v1\n`,
    );
    const synced = await runAirlock(["sync", "--src", "yaml", syncList, "--dest", `${toB.host}/synced`], {
      env: FAST,
    });
    assert.equal(synced.code, 0, synced.stderr);
    const last = assertEndsComplete(synced.stderr, "syncing").at(-1);
    assert.match(last?.rest ?? "", /; 2\/2 images$/);
  });

  it("--quiet and --json show no progress", async () => {
    const quiet = await runAirlock(["push-bundle", bundle, "--to", `${toB.host}/site`, "-q"], { env: FAST });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stderr, "");
    const json = await runAirlock(["verify-bundle", bundle, "--json"], { env: FAST });
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stderr, "");
  });

  it("on a terminal: bars with human units on both sides, the last frame of each phase at 100%", async () => {
    fromA.addRule({ method: "GET", path: /\/blobs\/sha256:/, action: { kind: "delay", ms: 600 } });
    const out = join(dir, "tty.tar");
    const env = { HOME: home };
    const created = await runAirlockInPty(
      ["create-bundle", "-f", list, "-o", out, "--cache", join(dir, "tty-cache")],
      [],
      env,
    );
    assert.equal(created.code, 0, created.output);
    for (const phase of ["fetching", "writing"]) {
      const frames = barFrames(created.output, phase);
      assert.ok(frames.length > 0, `no ${phase} bar in:\n${created.output}`);
      const last = frames.at(-1);
      assert.equal(last?.percent, 100, created.output);
      assert.equal(last?.done, last?.total);
    }
    assert.ok(
      barFrames(created.output, "fetching").some((f) => f.percent < 100),
      "a frame while fetching was under way",
    );
    assert.equal(barFrames(created.output, "writing").at(-1)?.total, formatBytes((await stat(out)).size));

    const pushed = await runAirlockInPty(
      ["push-bundle", out, "--to", `${toB.host}/tty`, "--journal", join(dir, "tty-journal.jsonl")],
      [],
      env,
    );
    assert.equal(pushed.code, 0, pushed.output);
    const frames = barFrames(pushed.output, "pushing");
    assert.equal(frames.at(-1)?.percent, 100, pushed.output);
    assert.equal(frames.at(-1)?.done, frames.at(-1)?.total);
    assert.match(screenText(pushed.output), /^pushed: /m);
    assert.match(screenText(pushed.output), /^3 images: /m);
  });
});
