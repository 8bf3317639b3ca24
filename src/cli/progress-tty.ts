import type { MultiBar, SingleBar } from "cli-progress";
import type { Progress } from "./progress.js";
import type { Meter } from "./progress-meter.js";

/** Fits 80 columns: `fetching  [████████░░░░░░░░] 29% 12.3 MiB / 41.9 MiB 8.1 MiB/s ETA 4s`. */
const FORMAT = "{phase} [{bar}] {pct} {amount} {speed} {left}{detail}";
const PHASE_WIDTH = 9;
/** Rate and ETA are refreshed this often even when no count comes (a stall shows as one). */
const REFRESH_MS = 1_000;

/**
 * Progress on a terminal: a cli-progress MultiBar, one bar per phase; a
 * finished phase keeps its last frame above the next one. Message lines go
 * above the bars.
 */
export class TerminalProgress implements Progress {
  readonly #stderr: NodeJS.WritableStream;
  readonly #bars: MultiBar;
  readonly #meter: (phase: string) => Meter;
  #current: { meter: Meter; bar: SingleBar } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  private constructor(stderr: NodeJS.WritableStream, bars: MultiBar, meter: (phase: string) => Meter) {
    this.#stderr = stderr;
    this.#bars = bars;
    this.#meter = meter;
  }

  static async start(
    stderr: NodeJS.WritableStream,
    meter: (phase: string) => Meter,
  ): Promise<TerminalProgress> {
    const { default: cliProgress } = await import("cli-progress");
    const bars = new cliProgress.MultiBar(
      {
        stream: stderr,
        format: FORMAT,
        barsize: 16,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        gracefulExit: false,
      },
      cliProgress.Presets.shades_classic,
    );
    return new TerminalProgress(stderr, bars, meter);
  }

  update(phase: string, done: number, total: number, detail = ""): void {
    if (this.#stopped) return;
    if (this.#current !== undefined && this.#current.meter.phase !== phase) this.#end();
    if (this.#current === undefined) {
      const meter = this.#meter(phase);
      meter.record(done, total, detail);
      this.#current = { meter, bar: this.#bars.create(total, done, payload(meter)) };
      this.#timer ??= setInterval(() => this.#redraw(), REFRESH_MS).unref();
      return;
    }
    this.#current.meter.record(done, total, detail);
    this.#redraw();
  }

  log(line: string): void {
    if (this.#stopped || this.#timer === undefined) this.#stderr.write(line + "\n");
    else this.#bars.log(line + "\n");
  }

  stop(): void {
    if (this.#stopped) return;
    clearInterval(this.#timer);
    this.#end();
    if (this.#timer !== undefined) {
      this.#bars.update(); // writes the lines logged since the last frame
      this.#bars.stop(); // and the last frame of every bar
    }
    this.#timer = undefined;
    this.#stopped = true;
  }

  #redraw(ended = false): void {
    if (this.#current === undefined) return;
    const { meter, bar } = this.#current;
    bar.setTotal(meter.total);
    bar.update(meter.done, payload(meter, ended));
  }

  /** The phase's last frame stays as it is. */
  #end(): void {
    this.#redraw(true);
    this.#current?.bar.stop();
    this.#current = undefined;
  }
}

function payload(m: Meter, ended = false): Record<string, string> {
  const f = m.fields(ended);
  return {
    phase: m.phase.padEnd(PHASE_WIDTH),
    pct: f.percent.padStart(4),
    amount: f.amount,
    speed: f.speed,
    left: f.left,
    detail: m.detail === "" ? "" : ` (${m.detail})`,
  };
}
