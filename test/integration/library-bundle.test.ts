// The bundle workflow used as a library, imported by name as a user would: one AbortSignal
// across verbs that run many requests at once, and aborts that leave nothing half-written.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  checkImageListLock,
  createBundle,
  getDigest,
  isAirlockError,
  lockImageList,
  pushBundle,
  verifyBundle,
  type ImageListDocument,
  type Lock,
} from "airlock";
import { pushBigImage } from "../harness/big-image.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";

/** Layers per image: far more requests in flight than Node's ten listeners per signal. */
const LAYERS = 40;

/** Collects the process's warnings while `run` runs. */
async function warningsDuring(run: () => Promise<unknown>): Promise<string[]> {
  const warnings: string[] = [];
  const listener = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
  process.on("warning", listener);
  try {
    await run();
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", listener);
  }
  return warnings;
}

/** An AirlockError with this code (and, when given, a message that mentions `mentions`). */
function coded(code: string, mentions?: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(isAirlockError(err), String(err));
    assert.equal(err.code, code, err.message);
    if (mentions !== undefined) assert.ok(err.message.includes(mentions), err.message);
    return true;
  };
}

describe("the bundle workflow as a library", () => {
  let source: TestRegistry;
  let target: TestRegistry;
  let dir: string;
  let list: string;
  let document: ImageListDocument;
  /** A bundle of the three images, made once. */
  let bundle: string;

  before(async () => {
    [source, target] = await Promise.all([startRegistry("plain"), startRegistry("plain")]);
    const sizes = Array.from({ length: LAYERS }, (_, i) => 2000 + i);
    for (const tag of ["v1", "v2", "v3"]) await pushBigImage(source.url, "many/blobs", tag, sizes);
    dir = await mkdtemp(join(tmpdir(), "airlock-lib-bundle-"));
    list = join(dir, "airlock.yaml");
    const images = ["v1", "v2", "v3"].map((t) => `  - ref: ${source.host}/many/blobs:${t}\n`).join("");
    await writeFile(list, `defaults:\n  platforms: [linux/amd64]\nimages:\n${images}`);
    document = {
      defaults: { platforms: ["linux/amd64"] },
      images: ["v1", "v2", "v3"].map((t) => ({ ref: `${source.host}/many/blobs:${t}` })),
    };
    bundle = join(dir, "base.tar");
    await createBundle({ file: list, output: bundle, cacheDir: join(dir, "cache") });
  });
  after(async () => Promise.all([source.stop(), target.stop()]));

  it("one AbortSignal through lock, create-bundle, verify and push adds no listener warning", async () => {
    const work = join(dir, "signal");
    const signal = new AbortController().signal;
    const warnings = await warningsDuring(async () => {
      const lock = join(dir, "signal.lock");
      await lockImageList({ file: list, output: lock, cacheDir: null, concurrency: 16, signal });
      const bundle = await createBundle({
        file: list,
        lockFile: lock,
        output: `${work}.tar`,
        cacheDir: join(dir, "cache-signal"),
        concurrency: 32,
        signal,
      });
      await verifyBundle(bundle.file, { signal });
      await pushBundle([bundle.file], {
        to: target.host,
        concurrency: 32,
        journalFile: join(dir, "signal.journal"),
        signal,
      });
    });
    assert.deepEqual(
      warnings.filter((w) => w.startsWith("MaxListenersExceededWarning")),
      [],
    );
    assert.equal(
      await getDigest(`${target.host}/many/blobs:v3`),
      await getDigest(`${source.host}/many/blobs:v3`),
    );
  });

  it("takes the list and the lock as objects, validated as files are", async () => {
    const out = join(dir, "objects");
    await mkdir(out);
    const lockFile = join(out, "list.lock");
    // Outputs named after the list file need a name when there is no file.
    await assert.rejects(lockImageList({ list: document }), coded("ERR_USAGE"));
    await assert.rejects(lockImageList({ file: list, list: document, output: lockFile }), coded("ERR_USAGE"));
    const locked = await lockImageList({ list: document, output: lockFile, cacheDir: null });
    assert.equal(locked.written, true);
    assert.equal(locked.list.file, "<object>");
    const lock: Lock = locked.lock;
    assert.deepEqual(await checkImageListLock({ list: document, lock }), {
      upToDate: true,
      unlocked: [],
      stale: [],
      lockFile: "<object>",
    });
    assert.equal((await checkImageListLock({ list: document, output: lockFile })).upToDate, true);
    await assert.rejects(checkImageListLock({ list: document }), coded("ERR_USAGE"));
    await assert.rejects(checkImageListLock({ list: document, lock, output: lockFile }), coded("ERR_USAGE"));
    const fewer: ImageListDocument = { ...document, images: document.images.slice(0, 2) };
    assert.equal((await checkImageListLock({ list: fewer, lock })).stale.length, 1);

    // Same schema, same codes, reported at <object>.
    await assert.rejects(
      lockImageList({
        list: { images: [{ ref: `${source.host}/many/blobs:v1`, platfroms: "all" }] },
        output: lockFile,
      }),
      coded("ERR_IMAGELIST_INVALID", '<object> images[0].platfroms: unknown key "platfroms"'),
    );
    await assert.rejects(
      checkImageListLock({ list: document, lock: { ...lock, entries: "none" } as unknown as Lock }),
      coded("ERR_LOCK_INVALID", "<object> is not an airlock lockfile"),
    );

    await assert.rejects(createBundle({ list: document, lock }), coded("ERR_USAGE"));
    await assert.rejects(createBundle({ list: document, output: join(out, "b.tar") }), coded("ERR_USAGE"));
    await assert.rejects(
      createBundle({ list: fewer, lock, output: join(out, "b.tar") }),
      coded("ERR_LOCK_STALE", "<object>"),
    );
    const made = await createBundle({
      list: document,
      lock,
      output: join(out, "b.tar"),
      cacheDir: join(dir, "cache"),
    });
    assert.equal(made.lockFile, "<object>");
    assert.equal(made.images, 3);
    // A stale lock object is re-resolved in memory with updateLock: the bundle carries it, no file is written.
    const narrowed = await createBundle({
      list: fewer,
      lock,
      updateLock: true,
      output: join(out, "fewer.tar"),
      cacheDir: join(dir, "cache"),
    });
    assert.equal(narrowed.images, 2);
    assert.deepEqual((await readdir(out)).sort(), [
      "b.tar",
      "b.tar.sha256",
      "fewer.tar",
      "fewer.tar.sha256",
      "list.lock",
    ]);
  });

  it("lockImageList aborted mid-run rejects with ERR_ABORTED and writes no lock", async () => {
    const out = join(dir, "abort-lock");
    await mkdir(out);
    const controller = new AbortController();
    const run = lockImageList({
      file: list,
      output: join(out, "airlock.lock"),
      cacheDir: null,
      concurrency: 1,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    // One abort, not a PlanError with a line per entry it cut short.
    await assert.rejects(run, { name: "AirlockError", code: "ERR_ABORTED" });
    assert.deepEqual(await readdir(out), []);
  });

  for (const phase of ["fetch", "write"] as const) {
    it(`createBundle aborted while it ${phase === "fetch" ? "downloads" : "writes the tar"} rejects with ERR_ABORTED and leaves no bundle`, async () => {
      const out = join(dir, `abort-${phase}`);
      await mkdir(out);
      const controller = new AbortController();
      const run = createBundle({
        file: list,
        output: join(out, "bundle.tar"),
        // A fresh cache for the download phase, so there is something to download.
        cacheDir: phase === "fetch" ? join(out, "..", `cache-${phase}`) : join(dir, "cache"),
        concurrency: 2,
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === phase) controller.abort();
        },
      });
      await assert.rejects(run, coded("ERR_ABORTED"));
      assert.deepEqual(await readdir(out), []);
    });
  }

  it("pushBundle aborted mid-push rejects with ERR_ABORTED and tags nothing", async () => {
    const controller = new AbortController();
    const run = pushBundle([bundle], {
      to: `${target.host}/aborted`,
      concurrency: 2,
      journalFile: join(dir, "abort.journal"),
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === "bytes") controller.abort();
      },
    });
    await assert.rejects(run, coded("ERR_ABORTED"));
    for (const tag of ["v1", "v2", "v3"]) {
      await assert.rejects(getDigest(`${target.host}/aborted/many/blobs:${tag}`), coded("ERR_NOT_FOUND"));
    }
  });
});
