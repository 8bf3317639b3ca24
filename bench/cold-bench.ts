// create-bundle from cold, three ways to the same end, in rounds, in a rotating order:
// - airlock create-bundle from the list (no lock yet, empty cache: it locks, then fetches);
// - skopeo copy --all of each reference into one OCI layout, then GNU tar of the layout,
//   as one timed script;
// - the floor (floor-download.ts): the same distinct blobs and manifests fetched bare, 8 at a
//   time, into files, then GNU tar of them.
// Each round works in a directory of its own, removed when the next round starts; the last one
// is kept, since its bundle, cache, layout and floor files serve the later rows (skopeo's and the
// floor's tars are removed once timed).
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { measure, measureScript, syncSeconds, type Measured } from "./timing.js";
import type { ServedWorkload } from "./workload-cache.js";

// The built bin, run directly as a user runs `airlock` (its shebang sets the V8 flags).
export const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const FLOOR = join(import.meta.dirname, "floor-download.ts");

/** Where one round put what it made. */
export interface RoundDir {
  dir: string;
  list: string;
  bundle: string;
  cache: string;
  layout: string;
  floorDir: string;
}

export interface ColdRuns {
  airlock: Measured[];
  skopeo: number[];
  floor: number[];
  /** The seconds of a `sync` right after each run of each contender (syncSeconds), in the same order. */
  syncs: { airlock: number[]; skopeo: number[]; floor: number[] };
  /** The last round's directory, kept. */
  last: RoundDir;
}

/** The image list of the workload, every platform of every reference. */
export function listYaml(refs: readonly string[]): string {
  return `defaults:\n  platforms: all\nimages:\n${refs.map((r) => `  - ${r}\n`).join("")}`;
}

/** `rounds` rounds of the three contenders on `workload`, in `dir`. */
export async function coldRounds(dir: string, workload: ServedWorkload, rounds: number): Promise<ColdRuns> {
  const contents = join(dir, "contents.json");
  await writeFile(contents, JSON.stringify(workload.contents));
  await warmUp(dir, contents, workload.registry.host);
  const runs: ColdRuns = {
    airlock: [],
    skopeo: [],
    floor: [],
    syncs: { airlock: [], skopeo: [], floor: [] },
    last: roundDir(dir, 0),
  };
  for (let round = 0; round < rounds; round++) {
    if (round > 0) await rm(runs.last.dir, { recursive: true, force: true });
    const at = roundDir(dir, round);
    await mkdir(at.dir, { recursive: true });
    await writeFile(at.list, listYaml(workload.refs));
    const contenders = [
      async () => {
        runs.airlock.push(await airlockCold(at));
        runs.syncs.airlock.push(await syncSeconds());
      },
      async () => runs.skopeo.push(await skopeoCold(at, workload.refs, runs.syncs.skopeo)),
      async () => runs.floor.push(await floorCold(at, contents, workload.registry.host, runs.syncs.floor)),
    ];
    for (let i = 0; i < contenders.length; i++) await contenders[(i + round) % contenders.length]?.();
    runs.last = at;
  }
  return runs;
}

/**
 * One floor run, untimed and removed: on VMs whose RAM is backed lazily, the first gigabytes of
 * page cache a run writes cost host faults (see push-bench.ts); this way no contender meets them.
 */
async function warmUp(dir: string, contents: string, host: string): Promise<void> {
  const at = roundDir(dir, -1);
  await mkdir(at.dir, { recursive: true });
  await floorCold(at, contents, host, []);
  await rm(at.dir, { recursive: true, force: true });
}

function roundDir(dir: string, round: number): RoundDir {
  const at = join(dir, round < 0 ? "warm-up" : `round-${round}`);
  return {
    dir: at,
    list: join(at, "medium.yaml"),
    bundle: join(at, "medium.tar"),
    cache: join(at, "cache"),
    layout: join(at, "skopeo-layout"),
    floorDir: join(at, "floor"),
  };
}

function airlockCold(at: RoundDir): Promise<Measured> {
  return measure(CLI, ["create-bundle", "-f", at.list, "-o", at.bundle, "--cache", at.cache, "--quiet"]);
}

/**
 * skopeo copy --all of each reference into one layout (image-N), then tar, timed as one script;
 * the sync after it is pushed onto `syncs` (skopeo fsyncs each blob, tar does not).
 */
async function skopeoCold(at: RoundDir, refs: readonly string[], syncs: number[]): Promise<number> {
  await mkdir(at.layout);
  const copies = refs.map(
    (ref, i) =>
      `skopeo copy --quiet --all --src-tls-verify=false docker://${ref} oci:${at.layout}:image-${i}`,
  );
  const tar = `tar -cf ${join(at.dir, "skopeo.tar")} -C ${at.layout} .`;
  const seconds = await measureScript(join(at.dir, "skopeo.sh"), [...copies, tar]);
  syncs.push(await syncSeconds());
  await rm(join(at.dir, "skopeo.tar"));
  return seconds;
}

/** floor-download.ts: the seconds it reports from its first request to tar's exit; the sync after it onto `syncs`. */
async function floorCold(at: RoundDir, contents: string, host: string, syncs: number[]): Promise<number> {
  const tar = join(at.dir, "floor.tar");
  const { stdout } = await measure("node", ["--import", "tsx", FLOOR, contents, host, at.floorDir, tar]);
  syncs.push(await syncSeconds());
  await rm(tar);
  return Number(stdout.trim());
}
