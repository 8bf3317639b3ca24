/** What one registry request and its answer are, and what the transport tells of its retries. */
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import type { IncomingHttpHeaders } from "undici/types/header.js";
import type { Scope } from "./scope.js";

export type Method = "GET" | "HEAD" | "PUT" | "POST" | "PATCH" | "DELETE";

export interface RegistryRequest {
  method: Method;
  /** Path and query under the registry origin ("/v2/…"), or an absolute URL on it. */
  path: string;
  headers?: Record<string, string>;
  /** A Buffer, or a factory so that a stream body can be sent again on retry. */
  body?: Buffer | (() => Readable);
  scopes: Scope[];
  /** Statuses returned to the caller; any other status becomes an error. */
  expect: number[];
  /** Named in errors, e.g. "manifest 127.0.0.1:5000/app:v1". */
  what: string;
  signal?: AbortSignal;
  /**
   * What may be retried: "all" (the default); "status", error statuses only,
   * never a network failure (an upload's body: the registry may hold part of
   * it, so the caller asks it how much or starts over); "none", one try.
   */
  retry?: "all" | "status" | "none";
}

/** One retry, as told to `onRetry` (for progress) and counted in the stats. */
export interface RetryNotice {
  registry: string;
  /** What is retried, e.g. "blob 127.0.0.1:5000/app@sha256:…". */
  what: string;
  /** Why, in one line: the error's message. */
  reason: string;
  /** The wait before the next try, in ms; 0 when it follows at once (an upload restarted, a download resumed). */
  delayMs: number;
  /** After a network failure: how long this registry has not answered, in ms. */
  unreachableForMs?: number;
}

/** What the transport retried so far. */
export interface TransportStats {
  /** Requests repeated after a failure (with a backoff), upload sessions restarted or resynced, downloads resumed. */
  retries: number;
  /** Requests sent again at once because a pooled connection had been closed by the peer (not counted as retries). */
  reconnects: number;
}

export interface RegistryResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Dispatcher.ResponseData["body"];
  /** The URL that answered (after redirects). */
  url: URL;
}
