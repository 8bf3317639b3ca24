/**
 * create-bundle keeps each large blob once, in the bundle that carried it:
 * the cache records the completed bundle, and a later create-bundle over the
 * same cache copies the blobs from it by offset (downloading nothing). A
 * recorded bundle that was removed is forgotten; one changed in place whose
 * size and times still match its record fails the copy's sha256 check, and
 * that blob is downloaded instead. Each bundle is byte-identical.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, open, readFile, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pushBigImage } from "../harness/big-image.js";
import { runAirlock } from "../harness/cli.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";

const MiB = 1024 * 1024;
const BLOB_GET = /"GET \/v2\/\S+\/blobs\/sha256:[0-9a-f]{64} HTTP/g;

describe("create-bundle: the cache holds large blobs inside the bundles it completed", () => {
  let registry: TestRegistry;
  let dir: string;
  let list: string;

  before(async () => {
    registry = await startRegistry("plain");
    await pushBigImage(registry.url, "big/cached", "v1", [2 * MiB, 3 * MiB, 1.5 * MiB]);
    dir = await mkdtemp(join(tmpdir(), "airlock-bundle-cache-"));
    list = join(dir, "airlock.yaml");
    await writeFile(list, `images:\n  - ${registry.host}/big/cached:v1\n`);
  });
  after(async () => registry.stop());

  /** create-bundle into `name` over the shared cache: its summary and the blob GETs it made. */
  async function bundle(name: string): Promise<{ downloaded: number; gets: number; file: string }> {
    const mark = registry.logs().length;
    const file = join(dir, name);
    const res = await runAirlock([
      "create-bundle",
      "-f",
      list,
      "-o",
      file,
      "--cache",
      join(dir, "cache"),
      "--json",
    ]);
    assert.equal(res.code, 0, res.stderr);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the access log's last lines
    const gets = registry.logs().slice(mark).match(BLOB_GET)?.length ?? 0;
    return {
      downloaded: Number((JSON.parse(res.stdout.toString()) as { downloaded: number }).downloaded),
      gets,
      file,
    };
  }

  it("copies from the earlier bundle, forgets a removed one, and downloads a blob changed in place", async () => {
    const first = await bundle("first.tar");
    assert.equal(first.gets, 4, "the config (as the lock resolved the image) and the three layers");
    assert.equal(first.downloaded, 3, "the three layers");
    const layerFiles = (await readdir(join(dir, "cache", "blobs", "sha256"))).length;
    assert.equal(layerFiles, 2, "only the manifest and config are cache files");

    await writeFile(join(dir, "first-copy.tar"), await readFile(first.file));
    const second = await bundle("second.tar");
    assert.equal(second.gets, 0, "every layer copied from first.tar");
    assert.equal(second.downloaded, 0);
    assert.deepEqual(await readFile(second.file), await readFile(first.file));
    // The same content as first.tar: its sha256 is the one recorded then, and it is right.
    const sidecar = (await readFile(`${second.file}.sha256`, "utf8")).split(" ")[0];
    assert.equal(
      sidecar,
      createHash("sha256")
        .update(await readFile(second.file))
        .digest("hex"),
    );

    // first.tar gone: second.tar (recorded too) still serves.
    await rm(first.file);
    const third = await bundle("third.tar");
    assert.equal(third.gets, 0, "copied from second.tar");

    // Damage one layer inside second.tar and third.tar, keeping their sizes and times: the
    // copy's sha256 check catches it and that layer alone is downloaded again.
    for (const f of [second.file, third.file]) await damageLargestBlob(join(dir, "cache"), f);
    const fourth = await bundle("fourth.tar");
    assert.equal(fourth.gets, 1, "the damaged layer, downloaded");
    assert.equal(fourth.downloaded, 1);
    // The damaged bundle it tried is forgotten (not tried again by later runs): the records are
    // the other damaged one and fourth.tar.
    assert.equal((await readdir(join(dir, "cache", "bundles"))).length, 2);
    const verified = await runAirlock(["verify-bundle", fourth.file]);
    assert.equal(verified.code, 0, verified.stderr);
    assert.deepEqual(await readFile(fourth.file), await readFile(join(dir, "first-copy.tar")));

    // A small blob's cache file (the config) damaged: its check fails as it is copied, and it is
    // downloaded instead, into the same bytes.
    const files = join(dir, "cache", "blobs", "sha256");
    const config = await findFile(files, (text) => text.includes('"rootfs"'));
    await writeFile(config, (await readFile(config, "utf8")).replace('"rootfs"', '"rootfz"'));
    const mark = registry.logs().length;
    const fifth = await bundle("fifth.tar");
    const configGets =
      registry
        .logs()
        .slice(mark)
        .split(`/blobs/sha256:${basename(config)} HTTP`).length - 1;
    assert.equal(configGets, 1, "the config, downloaded once");
    assert.ok(fifth.gets >= 1);
    assert.deepEqual(await readFile(fifth.file), await readFile(join(dir, "first-copy.tar")));
    assert.match(await readFile(config, "utf8"), /"rootfs"/, "the cache file is mended");
  });

  it("--cache-layers also keeps every layer as a cache file", async () => {
    const cache = join(dir, "cache-layers");
    const args = ["create-bundle", "-f", list, "-o", join(dir, "layers.tar"), "--cache", cache];
    const res = await runAirlock([...args, "--cache-layers"]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal((await readdir(join(cache, "blobs", "sha256"))).length, 5, "manifest, config, 3 layers");
  });
});

/** The path of the first file in `dir` whose text passes `test`. */
async function findFile(dir: string, test: (text: string) => boolean): Promise<string> {
  for (const name of await readdir(dir)) {
    if (test(await readFile(join(dir, name), "utf8"))) return join(dir, name);
  }
  throw new Error(`no such file in ${dir}`);
}

/**
 * Flips a byte inside the largest blob of `file`, found by the cache's record
 * of it, and restores the file's times: size and times still match the record.
 */
async function damageLargestBlob(cache: string, file: string): Promise<void> {
  const records = await readdir(join(cache, "bundles"));
  const all = await Promise.all(
    records.map(async (r) => JSON.parse(await readFile(join(cache, "bundles", r), "utf8")) as Rec),
  );
  const record = all.find((r) => r.file === file);
  assert.ok(record !== undefined, `${file} is recorded`);
  const largest = [...record.blobs].sort((a, b) => b.size - a.size)[0];
  assert.ok(largest !== undefined);
  const info = await stat(file);
  const handle = await open(file, "r+");
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, largest.offset + 100);
    byte[0] = (byte[0] ?? 0) ^ 0xff;
    await handle.write(byte, 0, 1, largest.offset + 100);
  } finally {
    await handle.close();
  }
  await utimes(file, info.atimeMs / 1000, info.mtimeMs / 1000);
}

interface Rec {
  file: string;
  blobs: { digest: string; offset: number; size: number }[];
}
