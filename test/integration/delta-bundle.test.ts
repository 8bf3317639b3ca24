/**
 * Delta bundles end to end through the CLI against real registries: a site
 * registry B seeded with bundle 1 (list 1) is inventoried; the bundle of
 * list 2 made --since that inventory (or --since bundle 1) carries every
 * manifest and only the blobs B lacks; pushed into B it uploads exactly
 * those; pushed where the left-out blobs are not, it is refused before any
 * write; bad bases are refused in one line.
 */
import assert from "node:assert/strict";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { load } from "js-yaml";
import { imageContent } from "../../src/plan/lock-content.js";
import type { Lock } from "../../src/plan/lock-types.js";
import { BundleReader } from "../../src/store/bundle-reader.js";
import { isOneCleanLine, runAirlock, type CliResult } from "../harness/cli.js";
import { spawnAirlock } from "../harness/cli-process.js";
import { seedDeltaLists, type DeltaLists } from "../harness/delta-images.js";
import { startFaultProxy } from "../harness/fault-proxy.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";
import { runSkopeo } from "../harness/tools.js";
import { createHash } from "node:crypto";

const ok = (res: CliResult): void => assert.equal(res.code, 0, res.stderr);
const sha256 = (b: Buffer): string => "sha256:" + createHash("sha256").update(b).digest("hex");

/** Every manifest, and every config and layer, a lock pins. */
function lockContent(lock: Lock): { manifests: Set<string>; blobs: Set<string> } {
  const manifests = new Set<string>();
  const blobs = new Set<string>();
  for (const image of lock.entries.flatMap((e) => e.images)) {
    const c = imageContent(image);
    for (const m of c.manifests) manifests.add(m.digest);
    for (const b of c.blobs) blobs.add(b.digest);
  }
  return { manifests, blobs };
}

const sorted = (s: Iterable<string>): string[] => [...s].sort();

/** Blob-upload PUTs and POSTs in a registry log, each with the digest it names. */
function blobWrites(log: string): { puts: string[]; posts: string[] } {
  const lines = log.split("\n");
  const puts = lines
    .filter((l) => /"PUT \/v2\/[^ ]*\/blobs\/uploads\//.test(l))
    .map((l) => /digest=sha256(?::|%3A)([a-f0-9]{64})/.exec(l)?.[1] ?? "?");
  const posts = lines.filter((l) => /"POST \/v2\/[^ ]*\/blobs\/uploads\//.test(l));
  return { puts, posts };
}

describe("delta bundles: inventory out, delta in", () => {
  let a: TestRegistry;
  let b: TestRegistry;
  let lists: DeltaLists;
  let lock1: Lock;
  let lock2: Lock;
  const out = (name: string): string => join(lists.dir, "out", name);
  const cache = (): string => join(lists.dir, "cache");
  const journal = (name: string): string => join(lists.dir, `${name}.jsonl`);
  /** create-bundle of list 2 --since each base, with --json (or `flags`). */
  const createDelta = async (name: string, since: string[], flags = ["--json"]): Promise<CliResult> =>
    await runAirlock([
      "create-bundle",
      "-f",
      lists.list2,
      "-o",
      out(name),
      "--cache",
      cache(),
      ...since.flatMap((s) => ["--since", s]),
      ...flags,
    ]);
  const pushTo = async (bundle: string, to: string, name: string): Promise<CliResult> =>
    await runAirlock(["push-bundle", bundle, "--to", to, "--json", "--quiet", "--journal", journal(name)]);

  before(async () => {
    [a, b] = await Promise.all([startRegistry("plain"), startRegistry("plain")]);
    lists = await seedDeltaLists(a.url, a.host);
    ok(
      await runAirlock([
        "create-bundle",
        "-f",
        lists.list1,
        "-o",
        out("bundle1.tar"),
        "--cache",
        cache(),
        "--quiet",
      ]),
    );
    ok(await pushTo(out("bundle1.tar"), `${b.host}/site`, "site"));
    ok(await runAirlock(["lock", "-f", lists.list2, "--quiet"]));
    lock1 = load(await readFile(join(lists.dir, "list1", "airlock.lock"), "utf8")) as Lock;
    lock2 = load(await readFile(join(lists.dir, "list2", "airlock.lock"), "utf8")) as Lock;
    ok(
      await runAirlock([
        "inventory",
        "--registry",
        `${b.host}/site`,
        "-o",
        join(lists.dir, "inventory.json"),
        "-q",
      ]),
    );
  });
  after(async () => Promise.all([a.stop(), b.stop()]));

  /** The blobs a delta of list 2 against bundle 1 must carry: list 2's configs and layers bundle 1 lacks. */
  const expectedBlobs = (): string[] => {
    const had = lockContent(lock1).blobs;
    return sorted([...lockContent(lock2).blobs].filter((d) => !had.has(d)));
  };
  const tarContent = async (file: string): Promise<{ blobs: string[]; manifests: string[] }> => {
    const reader = await BundleReader.open(file);
    const manifests = lockContent(lock2).manifests;
    const all = [...reader.index.blobs.keys()];
    return {
      blobs: sorted(all.filter((d) => !manifests.has(d))),
      manifests: sorted(all.filter((d) => manifests.has(d))),
    };
  };

  it("--since inventory.json carries every manifest and exactly list 2's blobs absent from bundle 1, and says what it saved", async () => {
    const res = await createDelta("delta-inv.tar", [join(lists.dir, "inventory.json")]);
    ok(res);
    const summary = JSON.parse(res.stdout.toString()) as {
      blobs: number;
      delta: {
        bases: { file: string; kind: string; sha256: string; shared: number }[];
        blobsOmitted: number;
        bytesOmitted: number;
      };
    };
    const expected = expectedBlobs();
    assert.ok(
      expected.length > 0 && expected.length < lockContent(lock2).blobs.size,
      "list 2 shares some blobs, not all",
    );
    const content = await tarContent(out("delta-inv.tar"));
    assert.deepEqual(content.blobs, expected);
    assert.deepEqual(content.manifests, sorted(lockContent(lock2).manifests));
    assert.equal(summary.blobs, expected.length);
    assert.equal(summary.delta.blobsOmitted, lockContent(lock2).blobs.size - expected.length);
    assert.ok(summary.delta.bytesOmitted > 0);
    const inventoryBytes = await readFile(join(lists.dir, "inventory.json"));
    assert.deepEqual(summary.delta.bases, [
      {
        file: "inventory.json",
        kind: "inventory",
        sha256: sha256(inventoryBytes).slice(7),
        registry: b.host,
        prefix: "site",
        shared: summary.delta.blobsOmitted,
      },
    ]);
    const inspected = await runAirlock(["inspect-bundle", out("delta-inv.tar"), "--json"]);
    ok(inspected);
    const delta = (JSON.parse(inspected.stdout.toString()) as { delta: { bytesOmitted: number } }).delta;
    assert.equal(delta.bytesOmitted, summary.delta.bytesOmitted, "inspect-bundle shows the bytes saved");
  });

  it("--since bundle1.tar gives the same blobs; diff --bytes of the two locks says the same size", async () => {
    const made = await createDelta("delta-tar.tar", [out("bundle1.tar")]);
    ok(made);
    // bundle1.tar is named by its sha256 (the one the cache recorded when it was written).
    const base = (JSON.parse(made.stdout.toString()) as { delta: { bases: { sha256: string }[] } }).delta
      .bases[0];
    const written = (await readFile(`${out("bundle1.tar")}.sha256`, "utf8")).split(" ")[0];
    assert.equal(base?.sha256, written);
    assert.equal(
      written,
      createHash("sha256")
        .update(await readFile(out("bundle1.tar")))
        .digest("hex"),
    );
    const byTar = await tarContent(out("delta-tar.tar"));
    const byInventory = await tarContent(out("delta-inv.tar"));
    assert.deepEqual(byTar, byInventory);
    const diff = await runAirlock([
      "diff",
      join(lists.dir, "list1", "airlock.lock"),
      join(lists.dir, "list2", "airlock.lock"),
      "--bytes",
      "--json",
    ]);
    ok(diff);
    const size = JSON.parse(diff.stdout.toString()) as { delta: { blobs: number; blobBytes: number } };
    assert.equal(size.delta.blobs, byTar.blobs.length);
    const reader = await BundleReader.open(out("delta-tar.tar"));
    const bytes = byTar.blobs.reduce((n, d) => n + (reader.index.blobs.get(d)?.size ?? 0), 0);
    assert.equal(size.delta.blobBytes, bytes);
  });

  it("serve of a delta warns that what it leaves out is not served, and says how to serve it", async () => {
    const serve = await spawnAirlock(["serve", out("delta-inv.tar"), "--listen", "127.0.0.1:0"]);
    try {
      await new Promise<void>((resolve, reject) => {
        let stderr = "";
        serve.child.stderr?.on("data", (c: Buffer) => {
          stderr += c.toString("utf8");
          if (stderr.includes("serving ")) resolve();
        });
        void serve.ended.then((end) => reject(new Error(`serve ended: ${end.stderr}`)));
      });
    } finally {
      const end = await serve.kill();
      assert.match(end.stderr, /delta-inv\.tar is a delta bundle: .*not served.*serve it with the bundles/);
    }
  });

  it("--split with --since: each part a delta of its own images, verified on its own", async () => {
    const res = await createDelta(
      "split.tar",
      [join(lists.dir, "inventory.json")],
      ["--split", "20K", "--json"],
    );
    ok(res);
    const parts = (JSON.parse(res.stdout.toString()) as { parts: { file: string }[] }).parts;
    assert.ok(parts.length > 1, `${parts.length} parts`);
    const carried = new Set<string>();
    for (const p of parts) {
      const verified = await runAirlock(["verify-bundle", p.file, "--json"]);
      ok(verified);
      for (const d of (await tarContent(p.file)).blobs) carried.add(d);
    }
    assert.deepEqual(sorted(carried), expectedBlobs());
  });

  it("verify-bundle checks what the delta holds and lists what it needs from the target", async () => {
    const res = await runAirlock(["verify-bundle", out("delta-inv.tar"), "--json"]);
    ok(res);
    const [report] = JSON.parse(res.stdout.toString()) as {
      problems: string[];
      delta: { needs: { digest: string }[] };
    }[];
    assert.deepEqual(report?.problems, []);
    const had = lockContent(lock1).blobs;
    const needed = sorted([...lockContent(lock2).blobs].filter((d) => had.has(d)));
    assert.deepEqual(sorted(report?.delta.needs.map((n) => n.digest) ?? []), needed);
    const text = await runAirlock(["verify-bundle", out("delta-inv.tar")]);
    ok(text);
    for (const d of needed) assert.ok(text.stderr.includes(d), `${d} listed as needed`);
  });

  it("into an empty registry it is refused before any write, naming the missing blobs and the base; after its base bundle in the same run it lands", async () => {
    const c = await startRegistry("plain");
    try {
      for (const bundle of ["delta-inv.tar", "delta-tar.tar"]) {
        const res = await runAirlock([
          "push-bundle",
          out(bundle),
          "--to",
          `${c.host}/site`,
          "--journal",
          journal(`c-${bundle}`),
        ]);
        assert.equal(res.code, 3, res.stderr);
        assert.ok(isOneCleanLine(res.stderr), res.stderr);
        assert.match(res.stderr, /lacks \d+ of the blobs/);
        assert.match(
          res.stderr,
          bundle === "delta-inv.tar" ? /inventory\.json \(inventory/ : /bundle1\.tar \(bundle/,
        );
        const had = lockContent(lock1).blobs;
        assert.ok(
          [...had].some((d) => res.stderr.includes(d)),
          "a missing blob is named",
        );
      }
      assert.deepEqual(blobWrites(c.logs()), { puts: [], posts: [] });
      assert.doesNotMatch(c.logs(), /"PUT \/v2\//);
      // The base bundle first in the same run: what it carries counts as there.
      const both = await runAirlock([
        "push-bundle",
        out("bundle1.tar"),
        out("delta-tar.tar"),
        "--to",
        `${c.host}/site`,
        "--quiet",
        "--journal",
        journal("c-both"),
      ]);
      ok(both);
      for (const image of lock2.entries.flatMap((e) => e.images)) {
        const raw = await runSkopeo([
          "inspect",
          "--raw",
          ...c.skopeoFlags(),
          `docker://${c.host}/site/${image.reference.slice(a.host.length + 1)}`,
        ]);
        assert.equal(sha256(raw.stdout), image.digest, image.reference);
      }
    } finally {
      await c.stop();
    }
  });

  it("where the registry refuses the mount a delta needs, the image fails naming the left-out blob, not a corrupt bundle", async () => {
    const d = await startRegistry("plain");
    const proxy = await startFaultProxy(d.url);
    try {
      proxy.addRule({
        method: "POST",
        path: /mount=/,
        times: Infinity,
        action: { kind: "status", status: 405 },
      });
      const res = await runAirlock([
        "push-bundle",
        out("bundle1.tar"),
        out("delta-tar.tar"),
        "--to",
        `${proxy.host}/site`,
        "--journal",
        journal("refused-mounts"),
        "--retry-for",
        "0",
      ]);
      assert.equal(res.code, 3, res.stderr);
      assert.match(res.stderr, /apps\/app3:v1/);
      assert.match(res.stderr, /is a delta that leaves out blob sha256:/);
    } finally {
      await proxy.close();
      await d.stop();
    }
  });

  it("to the wrong prefix it is refused in one line and nothing is written", async () => {
    const before = b.logs().length;
    for (const bundle of ["delta-inv.tar", "delta-tar.tar"]) {
      const res = await runAirlock([
        "push-bundle",
        out(bundle),
        "--to",
        `${b.host}/elsewhere`,
        "--journal",
        journal("elsewhere"),
      ]);
      assert.notEqual(res.code, 0, res.stderr);
      assert.ok(isOneCleanLine(res.stderr), res.stderr);
    }
    const after = b.logs().slice(before);
    assert.deepEqual(blobWrites(after), { puts: [], posts: [] });
    assert.doesNotMatch(after, /"PUT \/v2\//);
  });

  it("pushed into B it uploads only the blobs it carries, and every reference of list 2 has its digest in B", async () => {
    const before = b.logs().length;
    const res = await pushTo(out("delta-inv.tar"), `${b.host}/site`, "fresh");
    ok(res);
    const writes = blobWrites(b.logs().slice(before));
    assert.deepEqual(sorted(writes.puts.map((h) => `sha256:${h}`)), expectedBlobs());
    const result = JSON.parse(res.stdout.toString()) as {
      stats: { uploaded: number; mounted: number };
      failures: unknown[];
    };
    assert.deepEqual(result.failures, []);
    assert.equal(result.stats.uploaded, expectedBlobs().length);
    assert.ok(
      result.stats.mounted > 0,
      "the base layer lives in site/apps/app1 and is mounted into site/apps/app3",
    );
    for (const image of lock2.entries.flatMap((e) => e.images)) {
      const path = image.reference.slice(a.host.length + 1);
      const raw = await runSkopeo([
        "inspect",
        "--raw",
        ...b.skopeoFlags(),
        `docker://${b.host}/site/${path}`,
      ]);
      assert.equal(sha256(raw.stdout), image.digest, image.reference);
      for (const p of image.platforms) {
        const repo = path.split(":")[0] ?? "";
        const child = await runSkopeo([
          "inspect",
          "--raw",
          ...b.skopeoFlags(),
          `docker://${b.host}/site/${repo}@${p.digest}`,
        ]);
        assert.equal(sha256(child.stdout), p.digest);
      }
    }
  });

  it("refuses a base that is not an inventory, lock or bundle, and a corrupt inventory, in one line, writing nothing", async () => {
    const notOne = join(lists.dir, "not-an-inventory.json");
    await writeFile(notOne, JSON.stringify({ repositories: [] }));
    const cut = join(lists.dir, "cut.json");
    await writeFile(cut, (await readFile(join(lists.dir, "inventory.json"), "utf8")).slice(0, 300));
    const edited = join(lists.dir, "edited.json");
    const inv = JSON.parse(await readFile(join(lists.dir, "inventory.json"), "utf8")) as {
      repositories: { blobs: { digest: string }[] }[];
    };
    const first = inv.repositories[0]?.blobs[0];
    if (first !== undefined) first.digest = "sha256:not-a-digest";
    await writeFile(edited, JSON.stringify(inv));
    const cases: [string, number][] = [
      [notOne, 2],
      [lists.list1, 2],
      [cut, 2],
      [edited, 2],
      [join(lists.dir, "no-such-file.json"), 2],
    ];
    for (const [base, code] of cases) {
      const name = "never.tar";
      // A good base beside the bad one: the bad one alone stops the run.
      const res = await createDelta(name, [out("bundle1.tar"), base], []);
      assert.equal(res.code, code, `${base}: ${res.stderr}`);
      assert.ok(isOneCleanLine(res.stderr), res.stderr);
      await assert.rejects(stat(out(name)), { code: "ENOENT" });
      await assert.rejects(stat(`${out(name)}.partial`), { code: "ENOENT" });
    }
  });

  it("a bad base stops the run before a missing lock is written", async () => {
    const bad = join(lists.dir, "not-an-inventory.json");
    const res = await runAirlock([
      "create-bundle",
      "-f",
      lists.unrelated,
      "-o",
      out("x.tar"),
      "--since",
      bad,
    ]);
    assert.equal(res.code, 2, res.stderr);
    assert.ok(isOneCleanLine(res.stderr), res.stderr);
    await assert.rejects(stat(join(lists.dir, "unrelated", "airlock.lock")), { code: "ENOENT" });
  });

  it("warns, and leaves nothing out, for a base lock that shares nothing", async () => {
    ok(await runAirlock(["lock", "-f", lists.unrelated, "--quiet"]));
    const res = await runAirlock([
      "create-bundle",
      "-f",
      lists.list2,
      "-o",
      out("shares-nothing.tar"),
      "--cache",
      cache(),
      "--since",
      join(lists.dir, "unrelated", "airlock.lock"),
    ]);
    ok(res);
    assert.match(res.stderr, /warning: --since airlock\.lock shares no layer or config/);
    const content = await tarContent(out("shares-nothing.tar"));
    assert.deepEqual(content.blobs, sorted(lockContent(lock2).blobs));
  });
});
