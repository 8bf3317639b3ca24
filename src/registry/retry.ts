import { abortedError } from "../errors.js";
import { setTimeout as sleep } from "node:timers/promises";

export interface RetryPolicy {
  /**
   * How long one request keeps retrying, counted from its first failure; 0
   * retries nothing. A Retry-After longer than what is left fails at once.
   */
  retryForMs: number;
  /** Attempts in all, the first included; unlimited by default (the time budget decides). */
  maxAttempts: number;
  /** First backoff; doubles each attempt, with jitter. */
  baseDelayMs: number;
  /** The longest backoff between two attempts. */
  maxDelayMs: number;
}

/** Five minutes outlast a registry restart or a load balancer's failover. */
export const DEFAULT_RETRY_FOR_MS = 5 * 60_000;

export const DEFAULT_RETRY: RetryPolicy = {
  retryForMs: DEFAULT_RETRY_FOR_MS,
  maxAttempts: Infinity,
  baseDelayMs: 500,
  maxDelayMs: 15_000,
};

const RETRYABLE_STATUS = new Set([408, 429, 499, 500, 502, 503, 504, 522]);

/** The connection broke during an exchange: reset, cut, stalled. */
const CUT_CODES = new Set([
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

/** No exchange at all: nothing listens, the name does not resolve, no route, no answer in time. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
]);

/** A kept-alive connection the peer may have closed while it sat in the pool. */
const STALE_CODES = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Resets, stalled bodies and cut connections: worth repeating once the registry has answered. */
export function isRetryableNetworkError(err: unknown): boolean {
  return CUT_CODES.has(codeOf(err) ?? "");
}

/**
 * Refused connections, unknown hosts, no route, connect and answer
 * time-outs: at the first contact a mistake (a mistyped name or port), once
 * the registry has answered in this run an outage worth waiting out.
 */
export function isUnreachableError(err: unknown): boolean {
  return UNREACHABLE_CODES.has(codeOf(err) ?? "");
}

/**
 * True when `err` may only mean that a pooled connection had been closed by
 * the peer before this request went out: a reset or close before any byte of
 * an answer on a socket that had answered before (undici's socket info says
 * so for UND_ERR_SOCKET; a bare reset cannot tell, and is given the benefit).
 */
export function mayBeStaleConnection(err: unknown): boolean {
  const code = codeOf(err);
  if (code === undefined || !STALE_CODES.has(code)) return false;
  const read = (err as { socket?: { bytesRead?: unknown } }).socket?.bytesRead;
  return typeof read !== "number" || read > 0;
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

/** Exponential backoff with jitter in [d/2, d], d capped at maxDelayMs. */
export function backoffDelay(
  policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">,
  attempt: number,
): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + (Math.random() * exp) / 2);
}

/**
 * One request's retries: its failures counted, and a deadline set by the
 * first of them (`retryForMs` later).
 */
export class RetryBudget {
  readonly #policy: RetryPolicy;
  readonly #now: () => number;
  #failures = 0;
  #firstFailure: number | undefined;

  constructor(policy: RetryPolicy, now: () => number = Date.now) {
    this.#policy = policy;
    this.#now = now;
  }

  /** Failures so far. */
  get failures(): number {
    return this.#failures;
  }

  /** Counts a failure; false when no try is left (the time is up, or the attempts are). */
  fail(): boolean {
    this.#failures++;
    this.#firstFailure ??= this.#now();
    return this.#failures < this.#policy.maxAttempts && this.remainingMs() > 0;
  }

  /** Time left until the deadline (the whole budget before the first failure). */
  remainingMs(): number {
    return Math.max(0, this.#policy.retryForMs - this.elapsedMs());
  }

  /** Time since the first failure; 0 before it. */
  elapsedMs(): number {
    return this.#firstFailure === undefined ? 0 : this.#now() - this.#firstFailure;
  }

  /** The wait before the next try: the backoff, never past the deadline. */
  backoffMs(): number {
    return Math.min(backoffDelay(this.#policy, this.#failures), this.remainingMs());
  }
}

/** "5 min", "30 s", "500 ms": a span of time, rounded as a person would say it. */
export function formatBudget(ms: number): string {
  if (ms >= 90_000) return `${Math.round(ms / 60_000)} min`;
  if (ms >= 1000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms)} ms`;
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
