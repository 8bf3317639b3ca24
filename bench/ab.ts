// `node --import tsx bench/ab.ts OLD_CHECKOUT [NEW_CHECKOUT]`: create-bundle (cold, then again over
// the cache the cold run filled) and push-bundle of the medium workload by this checkout's build
// and by another's (e.g. a worktree of an earlier commit, built), alternating, on the same machine
// and registry: a change must not make them slower. AB_ROUNDS rounds (default 3); AB_PUSH=0 leaves
// push-bundle out.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startRegistry } from "../test/harness/registry.js";
import { MEDIUM } from "./medium.js";
import { serveWorkload } from "./workload-cache.js";
import { measure, median, type Measured } from "./timing.js";

const ROUNDS = Number(process.env.AB_ROUNDS ?? 3);
const oldRoot = resolve(process.argv[2] ?? "");
const sides = {
  old: join(oldRoot, "dist/cli/main.js"),
  new: resolve(process.argv[3] ?? join(import.meta.dirname, ".."), "dist/cli/main.js"),
};

const dir = await mkdtemp(join(tmpdir(), "airlock-ab-"));
const workload = await serveWorkload(MEDIUM, (line) => process.stderr.write(`${line}\n`));
const source = workload.registry;
try {
  const list = join(dir, "medium.yaml");
  const refs = workload.refs.map((r) => `  - ${r}\n`).join("");
  await writeFile(list, `defaults:\n  platforms: all\nimages:\n${refs}`);
  await measure(sides.new, ["lock", "-f", list, "--cache", join(dir, "lock-cache")]);
  const results: Record<string, { create: Measured[]; warm: Measured[]; push: Measured[] }> = {
    old: { create: [], warm: [], push: [] },
    new: { create: [], warm: [], push: [] },
  };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (["old", "new"] as const) : (["new", "old"] as const);
    for (const side of order) {
      const cache = join(dir, `cache-${side}-${round}`);
      const bundle = join(dir, `${side}-${round}.tar`);
      const args = ["create-bundle", "-f", list, "-o", bundle, "--cache", cache, "--quiet"];
      results[side]?.create.push(await measure(sides[side], args));
      const warm = join(dir, `${side}-${round}-warm.tar`);
      const again = ["create-bundle", "-f", list, "-o", warm, "--cache", cache, "--quiet"];
      results[side]?.warm.push(await measure(sides[side], again));
      await rm(warm);
      await rm(cache, { recursive: true, force: true });
      if (process.env.AB_PUSH === "0") {
        await rm(bundle, { force: true });
        continue;
      }
      const target = await startRegistry("plain");
      try {
        const journal = join(dir, `journal-${side}-${round}.jsonl`);
        const push = ["push-bundle", bundle, "--to", target.host, "--quiet", "--journal", journal];
        results[side]?.push.push(await measure(sides[side], push));
      } finally {
        await target.stop();
        await rm(bundle, { force: true });
      }
    }
  }
  const line = (what: string, runs: Measured[]): string =>
    `${what}: median ${median(runs.map((m) => m.seconds)).toFixed(2)} s, best ${Math.min(...runs.map((m) => m.seconds)).toFixed(2)} s (runs ${runs.map((m) => m.seconds.toFixed(2)).join(", ")}), CPU median ${median(runs.map((m) => m.cpuSeconds)).toFixed(2)} s, peak RSS ${Math.max(...runs.map((m) => m.rssMiB)).toFixed(0)} MiB`;
  for (const side of ["old", "new"] as const) {
    const r = results[side];
    if (r === undefined) continue;
    process.stdout.write(
      [
        `${side}  ${line("create-bundle, cold", r.create)}`,
        `${side}  ${line("create-bundle, warm", r.warm)}`,
        ...(r.push.length > 0 ? [`${side}  ${line("push-bundle", r.push)}`] : []),
        "",
      ].join("\n"),
    );
  }
} finally {
  await source.stop();
  await rm(dir, { recursive: true, force: true });
}
