import { formatBytes } from "../plan/diff-format.js";

/** What a phase counts: bytes (shown in KiB, MiB…) or images. */
export type ProgressUnit = "bytes" | "images" | "repositories";

/** The rate is measured over the last few seconds, so it follows the transfer as it speeds up or stalls. */
const RATE_WINDOW_MS = 5_000;
/** Less than this since the first count is too little to tell a rate. */
const MIN_RATE_SPAN_MS = 500;

/** One phase ("fetching", "pushing"…): its counts as they come and how fast they grew. */
export class Meter {
  done = 0;
  total = 0;
  detail = "";
  readonly #now: () => number;
  readonly #samples: { at: number; done: number }[] = [];
  #first: { at: number; done: number } | undefined;

  constructor(
    readonly phase: string,
    readonly unit: ProgressUnit,
    now: () => number,
  ) {
    this.#now = now;
  }

  /** The phase's counts now. */
  record(done: number, total: number, detail = ""): void {
    const at = this.#now();
    this.done = done;
    this.total = total;
    this.detail = detail;
    this.#first ??= { at, done };
    this.#samples.push({ at, done });
    while (this.#samples.length > 1 && (this.#samples[0]?.at ?? at) < at - RATE_WINDOW_MS)
      this.#samples.shift();
  }

  get complete(): boolean {
    return this.done >= this.total;
  }

  /** Whole percent, 100 only when done; a phase with nothing to do is complete. */
  get percent(): number {
    if (this.total <= 0 || this.done >= this.total) return 100;
    return Math.max(0, Math.min(99, Math.floor((this.done * 100) / this.total)));
  }

  /** Units a second over the last few seconds (0 when stalled), or undefined while too early to tell. */
  rate(): number | undefined {
    const now = this.#now();
    const last = this.#samples.at(-1);
    if (last === undefined || this.#first === undefined || now - this.#first.at < MIN_RATE_SPAN_MS)
      return undefined;
    const base = this.#samples.find((s) => s.at >= now - RATE_WINDOW_MS) ?? last;
    const span = now - base.at;
    return span <= 0 ? undefined : ((last.done - base.done) * 1000) / span;
  }

  /** Units a second from the phase's first count to its last, or undefined when it took no time. */
  averageRate(): number | undefined {
    const last = this.#samples.at(-1);
    const span = last === undefined || this.#first === undefined ? 0 : last.at - this.#first.at;
    return last === undefined || this.#first === undefined || span < MIN_RATE_SPAN_MS
      ? undefined
      : ((last.done - this.#first.done) * 1000) / span;
  }

  /** Milliseconds from the phase's first count to its last. */
  elapsedMs(): number {
    const last = this.#samples.at(-1);
    return last === undefined || this.#first === undefined ? 0 : last.at - this.#first.at;
  }

  /**
   * The parts of a progress line: `12.3 MiB / 41.9 MiB`, `29%`, `8.1 MiB/s`,
   * `ETA 4s`; when complete, the average rate and `in 3s`. A phase that
   * `ended` short of its total (a failure) has no ETA.
   */
  fields(ended = false): { amount: string; percent: string; speed: string; left: string } {
    const complete = this.complete;
    const rate = complete || ended ? this.averageRate() : this.rate();
    let left = "";
    if (complete) left = `in ${formatSeconds(this.elapsedMs() / 1000)}`;
    else if (!ended && rate !== undefined && rate > 0)
      left = `ETA ${formatSeconds(Math.ceil((this.total - this.done) / rate))}`;
    return {
      amount: formatAmount(this.unit, this.done, this.total),
      percent: `${this.percent}%`,
      speed: rate === undefined ? "" : formatRate(this.unit, rate),
      left,
    };
  }
}

/** `12.3 MiB / 41.9 MiB`, or `3 / 10 images`. */
export function formatAmount(unit: ProgressUnit, done: number, total: number): string {
  return unit === "bytes" ? `${formatBytes(done)} / ${formatBytes(total)}` : `${done} / ${total} ${unit}`;
}

/** `8.1 MiB/s`, or `2.5 images/s`. */
export function formatRate(unit: ProgressUnit, perSecond: number): string {
  return unit === "bytes" ? `${formatBytes(Math.round(perSecond))}/s` : `${perSecond.toFixed(1)} ${unit}/s`;
}

/** `0s`, `42s`, `4m05s`, `1h02m`. */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
