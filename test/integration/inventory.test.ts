/**
 * airlock inventory through the CLI against real registries: a site
 * registry seeded by push-bundle is inventoried by its catalog, by a lock
 * and by an image list; the file is deterministic and schema-valid; what a
 * push journal claims is listed only once the registry confirms it; fallback
 * referrers tags and cosign's tags are recorded as tags, and referrers with
 * their subjects.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { load } from "js-yaml";
import { decodeInventory } from "../../src/plan/inventory-file.js";
import type { Inventory } from "../../src/plan/inventory-types.js";
import type { Lock } from "../../src/plan/lock-types.js";
import { isOneCleanLine, runAirlock } from "../harness/cli.js";
import { seedDeltaLists, type DeltaLists } from "../harness/delta-images.js";
import { digestTag } from "../harness/fixture-images.js";
import { blobPush } from "../harness/fixture-push.js";
import { runAirlockInPty } from "../harness/pty.js";
import { startSeededRegistry, type FixtureSet } from "../harness/fixtures.js";
import { toBlob } from "../harness/image-builder.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";

const ok = (res: { code: number; stderr: string }): void => assert.equal(res.code, 0, res.stderr);

/** Every config and layer a lock pins. */
function lockBlobs(lock: Lock): Set<string> {
  return new Set(
    lock.entries.flatMap((e) =>
      e.images.flatMap((i) =>
        i.platforms.flatMap((p) => [p.config.digest, ...p.layers.map((l) => l.digest)]),
      ),
    ),
  );
}

describe("airlock inventory", () => {
  let a: TestRegistry;
  let b: TestRegistry;
  let seeded: TestRegistry;
  let fixtures: FixtureSet;
  let lists: DeltaLists;
  let lock1: Lock;
  const journal = (): string => join(lists.dir, "push.jsonl");
  const inventory = async (name: string, ...args: string[]): Promise<{ file: string; inv: Inventory }> => {
    const file = join(lists.dir, name);
    ok(await runAirlock(["inventory", "--registry", `${b.host}/site`, "-o", file, "--quiet", ...args]));
    return { file, inv: decodeInventory(await readFile(file, "utf8"), file) };
  };

  before(async () => {
    [a, b, { registry: seeded, fixtures }] = await Promise.all([
      startRegistry("plain"),
      startRegistry("plain"),
      startSeededRegistry("plain"),
    ]);
    lists = await seedDeltaLists(a.url, a.host);
    const bundle = join(lists.dir, "out", "bundle1.tar");
    const cache = join(lists.dir, "cache");
    ok(await runAirlock(["create-bundle", "-f", lists.list1, "-o", bundle, "--cache", cache, "--quiet"]));
    ok(
      await runAirlock(["push-bundle", bundle, "--to", `${b.host}/site`, "--journal", journal(), "--quiet"]),
    );
    lock1 = load(await readFile(join(lists.dir, "list1", "airlock.lock"), "utf8")) as Lock;
  });
  after(async () => Promise.all([a.stop(), b.stop(), seeded.stop()]));

  it("of the whole catalog under the prefix: every tag with its digest and every blob the bundle carried", async () => {
    const { file, inv } = await inventory("catalog.json");
    assert.equal(inv.registry, b.host);
    assert.equal(inv.prefix, "site");
    assert.deepEqual(
      inv.repositories.map((r) => r.name),
      ["site/apps/app1", "site/apps/app2"],
    );
    const images = lock1.entries.flatMap((e) => e.images);
    for (const image of images) {
      const repo = inv.repositories.find((r) => image.reference.includes(r.name.slice("site/".length)));
      assert.deepEqual(
        repo?.tags.map((t) => [t.tag, t.digest]),
        [["v1", image.digest]],
      );
      const manifests = new Set(repo?.manifests.map((m) => m.digest));
      for (const p of image.platforms) assert.ok(manifests.has(p.digest), p.platform);
    }
    const held = new Set(inv.repositories.flatMap((r) => r.blobs.map((b) => b.digest)));
    assert.deepEqual([...held].sort(), [...lockBlobs(lock1)].sort());
    assert.equal(inv.totals.blobs, held.size);
    const again = await inventory("catalog-again.json");
    assert.deepEqual(
      await readFile(again.file),
      await readFile(file),
      "the same registry gives the same bytes",
    );
  });

  it("of a lock's repositories, named as push-bundle names them, is the same file; a list's repositories the registry lacks are named", async () => {
    const catalog = await readFile(join(lists.dir, "catalog.json"));
    const byLock = await inventory("by-lock.json", "--lock", join(lists.dir, "list1", "airlock.lock"));
    assert.deepEqual(await readFile(byLock.file), catalog);
    const file = join(lists.dir, "by-list.json");
    const res = await runAirlock([
      "inventory",
      "--registry",
      `${b.host}/site`,
      "-f",
      lists.list2,
      "-o",
      file,
      "--json",
    ]);
    ok(res);
    const summary = JSON.parse(res.stdout.toString()) as {
      absent: string[];
      totals: { repositories: number };
    };
    assert.deepEqual(summary.absent, ["site/apps/app3"]);
    assert.equal(summary.totals.repositories, 2);
  });

  it("lists a blob the push journal names only when the registry confirms it", async () => {
    const orphan = toBlob(Buffer.from("a blob pushed without its manifest\n"));
    await blobPush(b.url, "site/apps/app1", orphan);
    const missing = `sha256:${"0".repeat(64)}`;
    const seeds = join(lists.dir, "seeds.jsonl");
    const lines = [orphan.digest, missing].map((digest) =>
      JSON.stringify({ repo: "site/apps/app1", digest }),
    );
    await writeFile(seeds, lines.join("\n") + "\n");
    const { inv } = await inventory("seeded.json", "--journal", seeds);
    const app1 = inv.repositories.find((r) => r.name === "site/apps/app1");
    const digests = new Set(app1?.blobs.map((b) => b.digest));
    assert.ok(digests.has(orphan.digest), "the confirmed journal blob is listed");
    assert.ok(!digests.has(missing), "a journal blob the registry lacks is not");
  });

  it("records fallback referrers tags and cosign's tags as tags, and referrers with their subjects", async () => {
    const file = join(lists.dir, "signed.json");
    ok(await runAirlock(["inventory", "--registry", `${seeded.host}/fixtures`, "-o", file, "--quiet"]));
    const inv = decodeInventory(await readFile(file, "utf8"), file);
    const signed = inv.repositories.find((r) => r.name === fixtures.signed.name);
    assert.ok(signed, inv.repositories.map((r) => r.name).join(", "));
    const tags = new Set(signed.tags.map((t) => t.tag));
    for (const t of fixtures.signed.tagged) assert.ok(tags.has(t.tag), t.tag);
    assert.ok(tags.has(digestTag(fixtures.signed.node.digest)));
    const { sbom, scan } = fixtures.signed.referrers;
    const referrers = signed.referrers.map((r) => `${r.subject} ${r.digest}`);
    for (const r of [sbom, scan]) assert.ok(referrers.includes(`${fixtures.signed.node.digest} ${r.digest}`));
    assert.ok(inv.repositories.every((r) => r.name.startsWith("fixtures/")));
  });

  it("shows its progress in repositories: bars on a terminal, plain lines without one, each ending at the whole", async () => {
    const args = ["inventory", "--registry", `${b.host}/site`, "-o", join(lists.dir, "progress.json")];
    const tty = await runAirlockInPty(args, [], { HOME: lists.dir });
    assert.equal(tty.code, 0, tty.output);
    const control = new RegExp(String.raw`\u001b\[[0-9;?]*[A-Za-z]`, "g");
    const screen = tty.output.replace(control, "\n").replace(/\r/g, "\n");
    const frames = [...screen.matchAll(/^inventory\s+\[[█░]+\]\s+(\d+)% (\d+) \/ (\d+) repositories/gm)];
    assert.ok(frames.length > 0, tty.output);
    assert.deepEqual(frames.at(-1)?.slice(1), ["100", "2", "2"]);
    const plain = await runAirlock(args, { env: { AIRLOCK_PROGRESS_INTERVAL_MS: "40" } });
    ok(plain);
    assert.match(plain.stderr, /^inventory: 2 \/ 2 repositories \(100%\)/m);
    assert.match(plain.stderr, /^wrote .*progress\.json: 2 repositories, 2 tags, /m);
  });

  it("refuses a missing --registry, a list and a lock at once, and a missing journal in one line, writing nothing", async () => {
    const out = join(lists.dir, "never.json");
    const cases = [
      ["inventory", "-o", out],
      [
        "inventory",
        "--registry",
        b.host,
        "-f",
        lists.list1,
        "--lock",
        join(lists.dir, "list1", "airlock.lock"),
        "-o",
        out,
      ],
      ["inventory", "--registry", b.host, "--journal", join(lists.dir, "no-such.jsonl"), "-o", out],
    ];
    for (const args of cases) {
      const res = await runAirlock(args);
      assert.equal(res.code, 2, res.stderr);
      assert.ok(isOneCleanLine(res.stderr), res.stderr);
    }
    await assert.rejects(readFile(out), { code: "ENOENT" });
  });
});
