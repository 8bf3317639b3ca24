import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Measured {
  seconds: number;
  /** Peak resident set size of the process, in MiB. */
  rssMiB: number;
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
    const res = await run("/usr/bin/time", ["-f", "__TIME__ %e %M", command, ...args], {
      cwd,
      maxBuffer: 64 * 1024 * 1024,
    });
    const match = /__TIME__ ([\d.]+) (\d+)/.exec(res.stderr);
    if (!match) throw new Error(`no timing in: ${res.stderr}`);
    return { seconds: Number(match[1]), rssMiB: Number(match[2]) / 1024, stdout: res.stdout };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

/** Wall time of several commands run one after another. */
export async function measureAll(commands: [string, string[]][], cwd?: string): Promise<number> {
  let total = 0;
  for (const [command, args] of commands) total += (await measure(command, args, cwd)).seconds;
  return total;
}

export const fmtSeconds = (s: number): string => `${s.toFixed(2)} s`;
export const fmtMiB = (m: number): string => `${m.toFixed(0)} MiB`;
