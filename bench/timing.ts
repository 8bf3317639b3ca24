import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Measured {
  seconds: number;
  /** Peak resident set size of the process, in MiB. */
  rssMiB: number;
  /** CPU seconds (user and system) of the process and its threads: less swayed by a loaded machine than wall time. */
  cpuSeconds: number;
  stdout: string;
}

/**
 * Runs a command under GNU time: wall seconds and peak RSS. Throws with stderr on failure.
 * Dirty pages of earlier steps (gigabytes of bundles and layouts) are flushed first, untimed,
 * so that their writeback does not land in this measurement.
 */
export async function measure(command: string, args: string[], cwd?: string): Promise<Measured> {
  await run("sync", []);
  try {
    const res = await run("/usr/bin/time", ["-f", "__TIME__ %e %M %U %S", command, ...args], {
      cwd,
      maxBuffer: 64 * 1024 * 1024,
    });
    const match = /__TIME__ ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(res.stderr);
    if (!match) throw new Error(`no timing in: ${res.stderr}`);
    return {
      seconds: Number(match[1]),
      rssMiB: Number(match[2]) / 1024,
      cpuSeconds: Number(match[3]) + Number(match[4]),
      stdout: res.stdout,
    };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

/**
 * Wall seconds of one `sync`, run right after a timed step and before its output is removed: how
 * long the step's written bytes take to reach the disk. airlock and skopeo fsync what they write
 * before they finish, GNU tar and the bare floor do not; this puts that cost beside each figure.
 */
export async function syncSeconds(): Promise<number> {
  const began = performance.now();
  await run("sync", []);
  return (performance.now() - began) / 1000;
}

/**
 * Wall seconds of shell command lines run one after another as one script (`set -e`), written to
 * `file`: one sync before the whole, as for a single command, not one between each.
 */
export async function measureScript(file: string, lines: readonly string[]): Promise<number> {
  await writeFile(file, ["set -e", ...lines, ""].join("\n"));
  return (await measure("sh", [file])).seconds;
}

export const fmtSeconds = (s: number): string => `${s.toFixed(2)} s`;
export const fmtMiB = (m: number): string => `${m.toFixed(0)} MiB`;

/** The median of some runs (the mean of the middle two for an even count). */
export function median(runs: readonly number[]): number {
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 === 1
    ? (sorted[Math.floor(mid)] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/** "9.70 s (runs: 9.62, 9.70, 9.91)": the median, then every run in order. */
export const fmtRuns = (runs: readonly number[]): string =>
  `${fmtSeconds(median(runs))} (runs: ${runs.map((s) => s.toFixed(2)).join(", ")})`;

/** The median of each run plus the `sync` after it (syncSeconds): the time until its bytes are on disk. */
export const medianToDisk = (runs: readonly number[], syncs: readonly number[]): number =>
  median(runs.map((s, i) => s + (syncs[i] ?? NaN)));

/** "7.35 s to disk" (medianToDisk). */
export const fmtDurable = (runs: readonly number[], syncs: readonly number[]): string =>
  `${fmtSeconds(medianToDisk(runs, syncs))} to disk`;

/** "3.52× floor": how many times `of` the figure is. */
export const fmtRatio = (figure: number, of: number, name: string): string =>
  `${(figure / of).toFixed(2)}× ${name}`;
