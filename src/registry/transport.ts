import { request } from "undici";
import { AirlockError, abortedError, throwIfAborted } from "../errors.js";
import { Authenticator } from "./authenticator.js";
import { parseChallenges } from "./challenge.js";
import type { CredentialLookup } from "./credentials.js";
import { DEFAULT_TIMEOUTS, RegistryDispatcher, type NetworkTimeouts } from "./dispatcher.js";
import { isTlsProtocolMismatch, readErrorDetails, redactUrl, statusError } from "./http-errors.js";
import { networkError, type NetworkContext } from "./network-error.js";
import { NO_PROXY, proxyLabel, type ProxyConfig } from "./proxy.js";
import {
  DEFAULT_RETRY,
  RetryBudget,
  formatBudget,
  isRetryableStatus,
  mayBeStaleConnection,
  parseRetryAfter,
  waitBeforeRetry,
  type RetryPolicy,
} from "./retry.js";
import type { RegistryRequest, RegistryResponse, RetryNotice, TransportStats } from "./request.js";
import type { TlsConnectOptions } from "./tls.js";

export type { Method, RegistryRequest, RegistryResponse, RetryNotice, TransportStats } from "./request.js";

export interface TransportOptions {
  /** host[:port] as in references. */
  registry: string;
  /** The host[:port] to connect to (docker.io → registry-1.docker.io). */
  apiHost: string;
  /** "https", "http", or "auto": https, falling back to http when the port does not speak TLS (loopback only). */
  scheme: "https" | "http" | "auto";
  tls: TlsConnectOptions;
  /** Proxies per URL scheme and NO_PROXY; none when absent. */
  proxy?: ProxyConfig;
  /** Connect and idle time-outs; 30 s each when absent. */
  timeouts?: Partial<NetworkTimeouts>;
  /** The credential for a repository (undefined: the registry as a whole). */
  credential: CredentialLookup;
  retry?: Partial<RetryPolicy>;
  userAgent: string;
  onDebug?: (line: string) => void;
  /** Told of every retry (after it is counted, before its wait). */
  onRetry?: (notice: RetryNotice) => void;
}

/** One request's tries so far. */
interface Tries {
  budget: RetryBudget;
  /** Send the next try on a new connection. */
  fresh: boolean;
  /** A stale pooled connection was already replaced once. */
  reconnected: boolean;
}

/**
 * undici 7 closes the connection after every HEAD (it marks the socket for reset, in case a
 * misbehaving server sends a body anyway, nodejs/undici#258), so each HEAD would cost a new TCP
 * connection and, against a TLS registry, a new handshake. Registries answer HEAD by the book,
 * and `reset: false` (a documented dispatch option, applied after undici's own choice) keeps
 * the connection for the next request; undici still closes it when the answer says so.
 */
function keepAlive(method: string): { reset?: false } {
  return method === "HEAD" ? { reset: false } : {};
}

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * One registry's HTTP: connection reuse, scheme detection, authentication,
 * retries within a time budget (capped, jittered backoff; Retry-After
 * honoured), and redirects that never carry Authorization to another host.
 * Network failures are retried only once the registry has answered in this
 * run: at the first contact a refused connection is a mistake, later an
 * outage. A retry after a network failure goes on a new connection, and a
 * pooled connection found closed is replaced at once, uncounted.
 */
export class RegistryTransport {
  readonly #opts: TransportOptions;
  readonly #retry: RetryPolicy;
  readonly #dispatcher: RegistryDispatcher;
  readonly #auth: Authenticator;
  #scheme: Promise<"https" | "http"> | undefined;
  #plain = false;
  /** When the registry last stopped answering (the first network failure since its last answer). */
  #failingSince: number | undefined;
  readonly stats: TransportStats = { retries: 0, reconnects: 0 };

  constructor(options: TransportOptions) {
    this.#opts = options;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#dispatcher = new RegistryDispatcher({
      tls: options.tls,
      proxy: options.proxy ?? NO_PROXY,
      timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
    });
    this.#auth = new Authenticator({
      registry: options.registry,
      dispatcher: this.#dispatcher,
      userAgent: options.userAgent,
      credential: options.credential,
      registryIsPlain: () => this.#plain,
    });
  }

  get registry(): string {
    return this.#opts.registry;
  }

  /** The retry policy in force (the defaults with the options on top). */
  get retryPolicy(): Readonly<RetryPolicy> {
    return this.#retry;
  }

  /** Base URL ("https://host:port") once the scheme is known. */
  async origin(signal?: AbortSignal): Promise<string> {
    // A failed detection (aborted, registry down) is not kept: the next request asks again.
    this.#scheme ??= this.#detectScheme(signal).catch((err: unknown) => {
      this.#scheme = undefined;
      throw err;
    });
    return `${await this.#scheme}://${this.#opts.apiHost}`;
  }

  /** Sends a request; the response's status is one of `expect`, its body for the caller to consume. */
  async send(req: RegistryRequest): Promise<RegistryResponse> {
    throwIfAborted(req.signal);
    const url = new URL(req.path, await this.origin(req.signal));
    const policy = req.retry === "none" ? { ...this.#retry, retryForMs: 0 } : this.#retry;
    const tries: Tries = { budget: new RetryBudget(policy), fresh: false, reconnected: false };
    let authRounds = 0;
    for (;;) {
      const sent = await this.#try(req, url, tries);
      if (sent === "retry") continue;
      const { res, authorization } = sent;
      // Only the registry's own origin may ask for credentials: a 401 from a redirect target is an error.
      if (res.status === 401 && authRounds < 2 && res.url.origin === url.origin) {
        await res.body.dump().catch(() => undefined);
        const challenge = parseChallenges(res.headers["www-authenticate"]);
        if (this.#auth.onUnauthorized(challenge, authorization !== undefined, req.scopes)) {
          authRounds++;
          continue;
        }
        throw this.#refused(req, url, authorization !== undefined);
      }
      if (req.expect.includes(res.status)) return res;
      if (isRetryableStatus(res.status) && tries.budget.fail()) {
        await this.#pause(res, req, tries.budget);
        continue;
      }
      const details = req.method === "HEAD" ? [] : await readErrorDetails(res.body);
      if (req.method === "HEAD") await res.body.dump().catch(() => undefined);
      throw statusError({ method: req.method, url: res.url, status: res.status, what: req.what, details });
    }
  }

  /**
   * Counts a retry made above the transport (an upload restarted on a fresh
   * session, resynced, a download resumed) and tells `onRetry`.
   */
  noteRetry(what: string, reason: string): void {
    this.#debug(`${what}: ${reason}`);
    this.#notice({ registry: this.registry, what, reason, delayMs: 0 });
  }

  /** How a request to `url` travels (direct or by which proxy), its time-outs, whether its origin answered before. */
  networkContext(url: URL): NetworkContext {
    return this.#dispatcher.context(url);
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  /** One try: the response and the Authorization it carried, or "retry" when a failure is to be retried. */
  async #try(
    req: RegistryRequest,
    url: URL,
    tries: Tries,
  ): Promise<{ res: RegistryResponse; authorization: string | undefined } | "retry"> {
    try {
      const authorization = await this.#auth.authorization(req.scopes, req.signal);
      if (!tries.fresh)
        return { res: await this.#followRedirects(req, url, this.#dispatcher, authorization), authorization };
      // A retry after a network failure: on a new connection, in a pool of its own that closes once answered.
      const fresh = this.#dispatcher.fresh();
      try {
        return { res: await this.#followRedirects(req, url, fresh, authorization), authorization };
      } finally {
        fresh.close().catch(() => undefined);
      }
    } catch (err) {
      if (req.signal?.aborted === true) throw abortedError(err);
      const mode = req.retry ?? "all";
      if (
        mode === "all" &&
        !tries.reconnected &&
        this.#dispatcher.hasAnswered(url) &&
        mayBeStaleConnection(err)
      ) {
        tries.reconnected = tries.fresh = true;
        this.stats.reconnects++;
        this.#debug(
          `${req.method} ${redactUrl(url)}: the kept-alive connection was closed; again on a new one`,
        );
        return "retry";
      }
      const error = networkError(err, this.#opts.registry, req.method, url, this.networkContext(url));
      if (!error.retryable || mode === "status") throw error;
      if (!tries.budget.fail()) throw this.#gaveUp(error, tries.budget);
      tries.fresh = true;
      this.#failingSince ??= Date.now();
      const delay = tries.budget.backoffMs();
      this.#notice({
        registry: this.registry,
        what: req.what,
        reason: error.message,
        delayMs: delay,
        unreachableForMs: Date.now() - this.#failingSince,
      });
      this.#debug(`${req.method} ${redactUrl(url)} failed (${error.message}); retrying in ${delay} ms`);
      await waitBeforeRetry(delay, req.signal);
      return "retry";
    }
  }

  async #followRedirects(
    req: RegistryRequest,
    start: URL,
    dispatcher: RegistryDispatcher,
    authorization?: string,
  ): Promise<RegistryResponse> {
    let url = start;
    for (let hop = 0; ; hop++) {
      // Authorization goes only to the registry's own origin: never to a redirect
      // target, nor to an absolute URL (e.g. an upload Location) on another host.
      const sameHost = url.origin === start.origin && start.origin === (await this.origin(req.signal));
      const headers: Record<string, string> = {
        "user-agent": this.#opts.userAgent,
        "docker-distribution-api-version": "registry/2.0",
        ...req.headers,
      };
      if (authorization !== undefined && sameHost) headers.authorization = authorization;
      const began = Date.now();
      const body = typeof req.body === "function" ? req.body() : req.body;
      const res = await request(url, {
        method: req.method,
        headers,
        body,
        dispatcher,
        signal: req.signal,
        ...keepAlive(req.method),
      });
      dispatcher.markAnswered(url);
      if (url.origin === start.origin) this.#failingSince = undefined;
      this.#debug(
        `${req.method} ${redactUrl(url)} -> ${res.statusCode} (${Date.now() - began} ms)${this.#via(url)}`,
      );
      const location = res.headers.location;
      const follow = REDIRECTS.has(res.statusCode) && (req.method === "GET" || req.method === "HEAD");
      if (!follow || typeof location !== "string" || hop >= MAX_REDIRECTS) {
        return { status: res.statusCode, headers: res.headers, body: res.body, url };
      }
      await res.body.dump().catch(() => undefined);
      url = new URL(location, url);
    }
  }

  /** Waits as the registry asked (Retry-After) or with the backoff; fails at once when asked to wait past the budget. */
  async #pause(res: RegistryResponse, req: RegistryRequest, budget: RetryBudget): Promise<void> {
    await res.body.dump().catch(() => undefined);
    const header = res.headers["retry-after"];
    const retryAfter = parseRetryAfter(typeof header === "string" ? header : undefined);
    if (retryAfter !== undefined && retryAfter > budget.remainingMs()) {
      throw new AirlockError(
        "ERR_REGISTRY",
        `${req.what}: the registry asks to retry after ${Math.round(retryAfter / 1000)} s (HTTP ${res.status}), longer than airlock keeps retrying (--retry-for ${formatBudget(this.#retry.retryForMs)})`,
        { retryable: true },
      );
    }
    const delay = retryAfter ?? budget.backoffMs();
    this.#notice({ registry: this.registry, what: req.what, reason: `HTTP ${res.status}`, delayMs: delay });
    this.#debug(`${req.method} ${req.what}: HTTP ${res.status}, retrying in ${delay} ms`);
    await waitBeforeRetry(delay, req.signal);
  }

  /** The last network error, saying how long airlock kept trying when it did. */
  #gaveUp(error: AirlockError, budget: RetryBudget): AirlockError {
    if (budget.failures <= 1) return error;
    const tried = `${error.message}; still failing after ${budget.failures} tries in ${formatBudget(budget.elapsedMs())} (--retry-for sets how long airlock retries)`;
    return new AirlockError(error.code, tried, { cause: error.cause, retryable: true });
  }

  #notice(notice: RetryNotice): void {
    this.stats.retries++;
    this.#opts.onRetry?.(notice);
  }

  #refused(req: RegistryRequest, url: URL, sentAuthorization: boolean): AirlockError {
    const registry = this.#opts.registry;
    const hint = sentAuthorization
      ? "the credentials were refused: check the username and password (airlock login)"
      : `log in first: airlock login ${registry}`;
    return new AirlockError("ERR_AUTH", `${req.what}: ${req.method} ${redactUrl(url)} unauthorized; ${hint}`);
  }

  async #detectScheme(signal?: AbortSignal): Promise<"https" | "http"> {
    if (this.#opts.scheme !== "auto") {
      this.#plain = this.#opts.scheme === "http";
      return this.#opts.scheme;
    }
    const url = new URL(`https://${this.#opts.apiHost}/v2/`);
    try {
      const res = await request(url, { method: "GET", dispatcher: this.#dispatcher, signal });
      this.#dispatcher.markAnswered(url);
      await res.body.dump();
      return "https";
    } catch (err) {
      if (signal?.aborted === true) throw abortedError(err);
      if (!isTlsProtocolMismatch(err)) {
        throw networkError(err, this.#opts.registry, "GET", url, this.networkContext(url));
      }
      this.#debug(`${this.#opts.apiHost} does not speak TLS; using plain HTTP (loopback)`);
      this.#plain = true;
      return "http";
    }
  }

  /** " via proxy HOST:PORT" when `url` goes through one; never its credentials. */
  #via(url: URL): string {
    const proxy = this.#dispatcher.route(url).proxy;
    return proxy === undefined ? "" : ` via proxy ${proxyLabel(proxy)}`;
  }

  #debug(line: string): void {
    this.#opts.onDebug?.(line);
  }
}
