// `node --import tsx bench/ab-lock.ts OLD_CHECKOUT [NEW_CHECKOUT]`: bench/lock-bench.ts's row (lock
// of 200 tiny single-platform images, cold, --concurrency 16) and the start-up of `--version`,
// `validate` and `lock --check` over the same list, by this checkout's build and another's (e.g. a
// worktree of an earlier commit, built), alternating, on one registry. Each run is `node
// dist/cli/main.js …` with an empty HOME, as runAirlock starts it. AB_ROUNDS rounds (default 5);
// AB_COUNT images (default 200); AB_FRESH=1 gives each lock run its own freshly started registry
// with the images just pushed, as in `npm run bench` (slower).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startRegistry } from "../test/harness/registry.js";
import { measure, median, type Measured } from "./timing.js";
import { pushTinyImages } from "./workloads.js";

const ROUNDS = Number(process.env.AB_ROUNDS ?? 5);
const COUNT = Number(process.env.AB_COUNT ?? 200);
const FRESH = process.env.AB_FRESH === "1";
const sides = {
  old: join(resolve(process.argv[2] ?? ""), "dist/cli/main.js"),
  new: join(resolve(process.argv[3] ?? join(import.meta.dirname, "..")), "dist/cli/main.js"),
};
type Side = keyof typeof sides;

const dir = await mkdtemp(join(tmpdir(), "airlock-ab-lock-"));

/** `airlock ARGS` by one side's build, under GNU time, with an empty HOME of its own. */
async function airlock(side: Side, home: string, args: string[]): Promise<Measured> {
  return await measure("env", [`HOME=${join(dir, home)}`, process.execPath, sides[side], ...args]);
}

/** A list of COUNT tiny images pushed to `registry`. */
async function pushedList(registry: { url: string; host: string }, file: string): Promise<string> {
  const refs = await pushTinyImages(registry.url, registry.host, COUNT);
  await writeFile(file, `images:\n${refs.map((r) => `  - ${r}\n`).join("")}`);
  return file;
}

/** One cold lock, as lock-bench.ts runs it: default cache in the empty HOME, progress on. */
async function coldLock(side: Side, round: number, list: string): Promise<Measured> {
  const args = ["lock", "-f", list, "-o", join(dir, `${side}-${round}.lock`), "--concurrency", "16"];
  if (!FRESH) return await airlock(side, `home-${side}-${round}`, args);
  const registry = await startRegistry("plain");
  try {
    const fresh = await pushedList(registry, join(dir, `fresh-${side}-${round}.yaml`));
    return await airlock(side, `home-${side}-${round}`, ["lock", "-f", fresh, ...args.slice(3)]);
  } finally {
    await registry.stop();
  }
}

const registry = await startRegistry("plain");
try {
  const list = await pushedList(registry, join(dir, "airlock.yaml"));
  const lock = join(dir, "checked.lock");
  await airlock("new", "setup", ["lock", "-f", list, "-o", lock, "-q"]);
  const commands: Record<string, (round: number, side: Side) => Promise<Measured>> = {
    "--version": (round, side) => airlock(side, "h", ["--version"]),
    validate: (round, side) => airlock(side, "h", ["validate", "-f", list]),
    "lock --check": (round, side) => airlock(side, "h", ["lock", "-f", list, "-o", lock, "--check"]),
    [`lock ${COUNT} images, cold${FRESH ? ", fresh registry" : ""}`]: (round, side) =>
      coldLock(side, round, list),
  };
  const results: Record<string, Record<Side, Measured[]>> = {};
  for (let round = 0; round < ROUNDS; round++) {
    const order: Side[] = round % 2 === 0 ? ["old", "new"] : ["new", "old"];
    for (const [name, run] of Object.entries(commands)) {
      for (const side of order) (results[name] ??= { old: [], new: [] })[side].push(await run(round, side));
    }
  }
  const summary = (runs: Measured[]): string =>
    `median ${median(runs.map((m) => m.seconds)).toFixed(2)} s (runs ${runs.map((m) => m.seconds.toFixed(2)).join(", ")}), CPU median ${median(runs.map((m) => m.cpuSeconds)).toFixed(2)} s`;
  for (const [name, bySide] of Object.entries(results)) {
    for (const side of ["old", "new"] as const) {
      process.stdout.write(`${side}  ${name}: ${summary(bySide[side])}\n`);
    }
  }
} finally {
  await registry.stop();
  await rm(dir, { recursive: true, force: true });
}
