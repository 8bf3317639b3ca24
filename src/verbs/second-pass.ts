/**
 * Whole-run resilience: every item is attempted, and those that failed for
 * a retryable cause (a registry restarting, a dropped connection, a 5xx)
 * get one more pass at the end of the run, before it reports failure.
 */
import { isAirlockError } from "../errors.js";
import { mapSettled } from "../util/pool.js";

export interface SecondPassOptions {
  signal?: AbortSignal;
  /** Told before the second pass, with how many items it retries. */
  onRetry?: (count: number) => void;
}

/** mapSettled, then once more for the items whose failure is retryable (not after an abort). */
export async function mapWithSecondPass<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  options: SecondPassOptions = {},
): Promise<{ results: PromiseSettledResult<R>[]; retried: number }> {
  const results = await mapSettled(items, limit, fn);
  const again = results.flatMap((r, i) => (r.status === "rejected" && isRetryable(r.reason) ? [i] : []));
  if (again.length === 0 || options.signal?.aborted === true) return { results, retried: 0 };
  options.onRetry?.(again.length);
  const second = await mapSettled(again, limit, (i) => fn(items[i] as T, i));
  second.forEach((r, k) => {
    results[again[k] as number] = r;
  });
  return { results, retried: again.length };
}

function isRetryable(reason: unknown): boolean {
  return isAirlockError(reason) && reason.retryable && reason.code !== "ERR_ABORTED";
}
