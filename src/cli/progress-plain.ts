import type { Progress } from "./progress.js";
import type { Meter } from "./progress-meter.js";

/**
 * Progress without a terminal (a log, CI): a line when a phase begins, one
 * every few seconds while it runs, and one when it ends, e.g.
 * `pushing: 12.3 MiB / 41.9 MiB (29%), 8.1 MiB/s, ETA 4s`.
 */
export class PlainProgress implements Progress {
  readonly #stderr: NodeJS.WritableStream;
  readonly #meter: (phase: string) => Meter;
  readonly #intervalMs: number;
  #current: Meter | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(stderr: NodeJS.WritableStream, meter: (phase: string) => Meter, intervalMs: number) {
    this.#stderr = stderr;
    this.#meter = meter;
    this.#intervalMs = intervalMs;
  }

  update(phase: string, done: number, total: number, detail = ""): void {
    if (this.#current !== undefined && this.#current.phase !== phase) this.#end();
    if (this.#current === undefined) {
      this.#current = this.#meter(phase);
      this.#current.record(done, total, detail);
      this.#tick();
    } else this.#current.record(done, total, detail);
    this.#timer ??= setInterval(() => this.#tick(), this.#intervalMs).unref();
  }

  log(line: string): void {
    this.#stderr.write(line + "\n");
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#end();
  }

  /** While a phase runs: its line, stalled or not. */
  #tick(): void {
    if (this.#current !== undefined && !this.#current.complete) this.log(plainLine(this.#current));
  }

  /** A phase's last line: where it ended (100% when it finished) and how long it took. */
  #end(): void {
    if (this.#current !== undefined) this.log(plainLine(this.#current, true));
    this.#current = undefined;
  }
}

/** `fetching: 12.3 MiB / 41.9 MiB (29%), 8.1 MiB/s, ETA 4s; 3 active` */
export function plainLine(m: Meter, ended = false): string {
  const f = m.fields(ended);
  const rest = [f.speed, f.left].filter((s) => s !== "");
  return `${m.phase}: ${f.amount} (${f.percent})${rest.map((s) => `, ${s}`).join("")}${m.detail === "" ? "" : `; ${m.detail}`}`;
}
