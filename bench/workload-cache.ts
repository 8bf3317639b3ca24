// The bench's workloads, generated once and kept between runs: a registry storage root holding
// the pushed workload, and its record, under $AIRLOCK_BENCH_CACHE (default
// $TMPDIR/airlock-bench-cache), in a directory named for the generator's version, the shape and
// the zlib version (the gzip bytes are zlib's). A run starts its registry on a copy of
// that storage. An entry is built under a temporary name and renamed when complete; an entry of
// the same workload under another key is removed then.
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "../test/harness/registry.js";
import { generateWorkload, type WorkloadShape } from "./medium.js";
import { describeWorkload, pushWorkload, type WorkloadRecord } from "./workload-push.js";

/** Bump when the generator's output changes for the same shape. */
const GENERATOR_VERSION = 1;

/** A workload in a registry of its own, started on a copy of the cached storage. */
export interface ServedWorkload extends WorkloadRecord {
  registry: TestRegistry;
  /** The references with the registry's host. */
  refs: string[];
}

function cacheRoot(): string {
  const env = process.env.AIRLOCK_BENCH_CACHE;
  return env !== undefined && env !== "" ? env : join(tmpdir(), "airlock-bench-cache");
}

function cacheKey(shape: WorkloadShape): string {
  const id = JSON.stringify({ GENERATOR_VERSION, shape, zlib: process.versions.zlib });
  const hash = createHash("sha256").update(id).digest("hex").slice(0, 16);
  return `${shape.name}-${hash}`;
}

/** Starts a plain registry holding `shape`, generating and pushing it first when not cached. */
export async function serveWorkload(
  shape: WorkloadShape,
  log: (line: string) => void,
): Promise<ServedWorkload> {
  const entry = join(cacheRoot(), cacheKey(shape));
  const record = await readRecord(entry).catch(async () => {
    log(`generating the ${shape.name} workload into ${entry} (once; later runs reuse it)`);
    return await buildEntry(shape, entry, log);
  });
  const registry = await startRegistry("plain", { copyStorageFrom: join(entry, "storage") });
  return { ...record, registry, refs: record.references.map((r) => `${registry.host}/${r}`) };
}

async function readRecord(entry: string): Promise<WorkloadRecord> {
  return JSON.parse(await readFile(join(entry, "workload.json"), "utf8")) as WorkloadRecord;
}

/** Generates the layers, pushes them into a fresh registry and keeps its storage as the entry. */
async function buildEntry(
  shape: WorkloadShape,
  entry: string,
  log: (line: string) => void,
): Promise<WorkloadRecord> {
  const partial = `${entry}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(join(partial, "layers"), { recursive: true });
  try {
    const began = performance.now();
    const generated = await generateWorkload(shape, join(partial, "layers"));
    const generatedIn = (performance.now() - began) / 1000;
    const registry = await startRegistry("plain");
    try {
      await pushWorkload(registry.host, generated);
      // The registry is idle now; its storage moves out before stop() removes its directory.
      await rename(registry.storageDir, join(partial, "storage"));
    } finally {
      await registry.stop();
    }
    await rm(join(partial, "layers"), { recursive: true, force: true });
    const record = describeWorkload(generated);
    await writeFile(join(partial, "workload.json"), JSON.stringify(record));
    await removeOtherEntries(shape.name, entry);
    await rm(entry, { recursive: true, force: true }); // an unreadable entry under the same key
    await rename(partial, entry);
    const total = (performance.now() - began) / 1000;
    log(`generated in ${generatedIn.toFixed(1)} s, pushed in ${(total - generatedIn).toFixed(1)} s`);
    return record;
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}

/** Older entries of the same workload (another generator version or shape). */
async function removeOtherEntries(name: string, keep: string): Promise<void> {
  const root = cacheRoot();
  for (const other of await readdir(root)) {
    const path = join(root, other);
    if (other.startsWith(`${name}-`) && path !== keep && !other.includes(".partial-")) {
      await rm(path, { recursive: true, force: true });
    }
  }
}
