import { abortedError } from "../errors.js";
import { setTimeout as sleep } from "node:timers/promises";

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** First backoff; doubles each attempt, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest Retry-After airlock will honour; a longer one fails the request. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 15_000,
  maxRetryAfterMs: 120_000,
};

const RETRYABLE_STATUS = new Set([408, 429, 499, 500, 502, 503, 504, 522]);

const RETRYABLE_NETWORK = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_BODY_TIMEOUT",
  "ECONNABORTED",
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

/**
 * Resets, stalled bodies and cut connections; not refused connections, unknown
 * hosts, or a host that let the connect or answer time-out pass (waiting that
 * long again and again would multiply the time-out the user chose).
 */
export function isRetryableNetworkError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && RETRYABLE_NETWORK.has(code);
}

/** Retry-After in seconds or as an HTTP-date, in milliseconds from `now`; undefined if absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Exponential backoff with full jitter in [d/2, d]. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + (Math.random() * exp) / 2);
}

/** Sleeps before a retry; rejects with ERR_ABORTED as soon as `signal` fires. */
export async function waitBeforeRetry(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : undefined);
  } catch (err) {
    if (signal?.aborted === true) throw abortedError(err);
    throw err;
  }
}
