/**
 * Rate-limiting a verb's progress events. Byte counts come with every chunk
 * (64 KiB and less) and carry running totals, so all but the latest of a
 * burst can be dropped: at most one is handed on per interval, and the one
 * held back is delivered before anything else and when the work ends.
 * Discrete events (an image done, a manifest written) and a new phase's
 * first count go through at once, never dropped, never delayed.
 */

/** Ten a second: smooth enough for a bar, cheap for any listener. */
export const DEFAULT_EVENT_INTERVAL_MS = 100;

export interface ThrottleOptions<E> {
  /** True for events that may be dropped for a later one of the same type (running byte counts). */
  frequent: (event: E) => boolean;
  /** True for a frequent event that must go through at once, e.g. a count that reached its total. */
  final?: (event: E) => boolean;
  /** At least this long between two frequent events handed on; default 100 ms. */
  intervalMs?: number;
  /** The clock, for tests; default performance.now(). */
  now?: () => number;
}

export interface ThrottledEvents<E> {
  /** Hands an event on, or holds a frequent one back until its turn (only the latest is kept). */
  emit: (event: E) => void;
  /** Hands on the frequent event held back, if any: call it when the work ends, however it ends. */
  flush: () => void;
}

/** Wraps `deliver` (a verb's onEvent, possibly undefined) in the throttle. */
export function throttleEvents<E extends { type: string }>(
  deliver: ((event: E) => void) | undefined,
  options: ThrottleOptions<E>,
): ThrottledEvents<E> {
  if (deliver === undefined) return { emit: () => undefined, flush: () => undefined };
  const interval = options.intervalMs ?? DEFAULT_EVENT_INTERVAL_MS;
  const now = options.now ?? (() => performance.now());
  let held: E | undefined;
  let lastAt = -Infinity;
  let lastType: string | undefined;
  const send = (event: E): void => {
    held = undefined;
    lastAt = now();
    lastType = event.type;
    deliver(event);
  };
  const flush = (): void => {
    if (held !== undefined) send(held);
  };
  const emit = (event: E): void => {
    if (!options.frequent(event)) {
      flush();
      deliver(event);
      return;
    }
    if (held !== undefined && held.type !== event.type) flush();
    const due = now() - lastAt >= interval;
    if (due || event.type !== lastType || options.final?.(event) === true) send(event);
    else held = event;
  };
  return { emit, flush };
}

/** A running byte count, as the verbs' progress events carry it. */
export interface ByteCount {
  bytesDone: number;
  bytesTotal: number;
}

/** True for a byte count that reached its total (the last of its phase). */
export function reachedTotal(event: object): boolean {
  const e = event as Partial<ByteCount>;
  return typeof e.bytesDone === "number" && typeof e.bytesTotal === "number" && e.bytesDone >= e.bytesTotal;
}
