import { Meter, type ProgressUnit } from "./progress-meter.js";

/**
 * The one progress display of the CLI, fed by the verbs' events: a phase
 * ("fetching", "pushing"…) with its counts, shown as bars on a terminal, as
 * a plain line every few seconds otherwise, not at all with --quiet/--json.
 */
export interface Progress {
  /** The counts of `phase` now; a new phase ends the one before (its last frame stays). */
  update(phase: string, done: number, total: number, detail?: string): void;
  /** A message line; on a terminal it goes above the bars instead of through them. */
  log(line: string): void;
  /**
   * Ends the display with each phase's last frame. `failed`: the work threw,
   * so a phase cut short before it showed anything stays silent. Safe to call again.
   */
  stop(options?: { failed?: boolean }): void;
}

export interface ProgressOptions {
  /** False with --quiet or --json: nothing is shown, and log lines go to `say` (which drops them). */
  enabled: boolean;
  /** Where log lines go when there is no display. */
  say: (line: string) => void;
  /** What the phases count; default bytes. */
  unit?: ProgressUnit;
  /** AIRLOCK_PROGRESS_INTERVAL_MS sets the plain line interval (default 5 s). */
  env?: NodeJS.ProcessEnv;
}

/** Runs `work` with the display: the last frames once it returns, none forced when it throws. */
export async function showing<T>(progress: Progress, work: () => Promise<T>): Promise<T> {
  try {
    const result = await work();
    progress.stop();
    return result;
  } catch (err) {
    progress.stop({ failed: true });
    throw err;
  }
}

/** Without a terminal, a line this often. */
export const PLAIN_INTERVAL_MS = 5_000;

/** The display for `stderr`: bars when it is a terminal (cli-progress is loaded only then), else plain lines. */
export async function createProgress(
  stderr: NodeJS.WritableStream,
  options: ProgressOptions,
): Promise<Progress> {
  if (!options.enabled) return { update: () => undefined, log: options.say, stop: () => undefined };
  const unit = options.unit ?? "bytes";
  const meter = (phase: string): Meter => new Meter(phase, unit, () => performance.now());
  if ((stderr as NodeJS.WriteStream).isTTY === true) {
    const { TerminalProgress } = await import("./progress-tty.js");
    return await TerminalProgress.start(stderr, meter);
  }
  const { PlainProgress } = await import("./progress-plain.js");
  return new PlainProgress(stderr, meter, plainInterval(options.env ?? process.env));
}

function plainInterval(env: NodeJS.ProcessEnv): number {
  const ms = Number(env.AIRLOCK_PROGRESS_INTERVAL_MS);
  return Number.isSafeInteger(ms) && ms > 0 ? ms : PLAIN_INTERVAL_MS;
}
