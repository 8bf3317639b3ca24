import type { Progress } from "./progress.js";
import type { Meter } from "./progress-meter.js";

/**
 * Progress without a terminal (a log, CI): a line every few seconds while
 * a phase runs, and one when it ends complete (or ends at all, once it has
 * shown a line), e.g.
 * `pushing: 12.3 MiB / 41.9 MiB (29%), 8.1 MiB/s, ETA 4s`.
 */
export class PlainProgress implements Progress {
  readonly #stderr: NodeJS.WritableStream;
  readonly #meter: (phase: string) => Meter;
  readonly #intervalMs: number;
  #current: Meter | undefined;
  /** Whether the current phase has shown a line. */
  #shown = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(stderr: NodeJS.WritableStream, meter: (phase: string) => Meter, intervalMs: number) {
    this.#stderr = stderr;
    this.#meter = meter;
    this.#intervalMs = intervalMs;
  }

  update(phase: string, done: number, total: number, detail = ""): void {
    if (this.#current !== undefined && this.#current.phase !== phase) this.#end();
    this.#current ??= this.#meter(phase);
    this.#current.record(done, total, detail);
    this.#timer ??= setInterval(() => this.#tick(), this.#intervalMs).unref();
  }

  log(line: string): void {
    this.#stderr.write(line + "\n");
  }

  stop(options: { failed?: boolean } = {}): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#end(options.failed === true);
  }

  /** While a phase runs: its line, stalled or not. */
  #tick(): void {
    if (this.#current === undefined || this.#current.complete) return;
    this.log(plainLine(this.#current));
    this.#shown = true;
  }

  /**
   * A phase's last line, 100% when it finished, with how long it took. A
   * short phase cut by a failure shows none: the error is the one line.
   */
  #end(failed = false): void {
    const m = this.#current;
    if (m !== undefined && (this.#shown || (m.complete && !failed))) this.log(plainLine(m, true));
    this.#current = undefined;
    this.#shown = false;
  }
}

/** `fetching: 12.3 MiB / 41.9 MiB (29%), 8.1 MiB/s, ETA 4s; 3 active` */
export function plainLine(m: Meter, ended = false): string {
  const f = m.fields(ended);
  const rest = [f.speed, f.left].filter((s) => s !== "");
  return `${m.phase}: ${f.amount} (${f.percent})${rest.map((s) => `, ${s}`).join("")}${m.detail === "" ? "" : `; ${m.detail}`}`;
}
