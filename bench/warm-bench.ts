// create-bundle again over a cache holding every blob (the last cold round's), against a plain
// GNU tar of the same blobs (the floor's files), alternating; the registry's access log counts
// the blob GETs each airlock run makes (the target is none).
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { TestRegistry } from "../test/harness/registry.js";
import { CLI, type RoundDir } from "./cold-bench.js";
import { measure, syncSeconds, type Measured } from "./timing.js";

export interface WarmRuns {
  airlock: Measured[];
  tar: number[];
  /** The seconds of a `sync` right after each run (syncSeconds): airlock fsyncs its bundle, tar does not. */
  syncs: { airlock: number[]; tar: number[] };
  /** Blob GETs the registry logged during each airlock run. */
  blobGets: number[];
}

const BLOB_GET = /"GET \/v2\/\S+\/blobs\/sha256:[0-9a-f]{64} HTTP/g;

/** `rounds` warm create-bundles from `cold` into `dir`, each beside a plain tar. */
export async function warmRounds(
  dir: string,
  cold: RoundDir,
  registry: TestRegistry,
  rounds: number,
): Promise<WarmRuns> {
  const runs: WarmRuns = { airlock: [], tar: [], syncs: { airlock: [], tar: [] }, blobGets: [] };
  const bundle = join(dir, "warm.tar");
  const plain = join(dir, "plain.tar");
  for (let round = 0; round < rounds; round++) {
    const airlock = async (): Promise<void> => {
      const mark = registry.logs().length;
      runs.airlock.push(
        await measure(CLI, [
          "create-bundle",
          "-f",
          cold.list,
          "-o",
          bundle,
          "--cache",
          cold.cache,
          "--quiet",
        ]),
      );
      runs.syncs.airlock.push(await syncSeconds());
      await new Promise((resolve) => setTimeout(resolve, 200)); // the access log's last lines
      runs.blobGets.push(registry.logs().slice(mark).match(BLOB_GET)?.length ?? 0);
      await rm(bundle);
      await rm(`${bundle}.sha256`, { force: true });
    };
    const tar = async (): Promise<void> => {
      runs.tar.push((await measure("tar", ["-cf", plain, "-C", cold.floorDir, "blobs"])).seconds);
      runs.syncs.tar.push(await syncSeconds());
      await rm(plain);
    };
    for (const step of round % 2 === 0 ? [airlock, tar] : [tar, airlock]) await step();
  }
  return runs;
}
