import { Agent, Dispatcher, Pool, ProxyAgent } from "undici";
import { routeFor, type ProxyConfig, type Route } from "./proxy.js";
import type { NetworkContext } from "./network-error.js";
import type { TlsConnectOptions } from "./tls.js";

/** How long airlock waits on the network. */
export interface NetworkTimeouts {
  /** For a TCP (and TLS, and proxy CONNECT) connection to be made. */
  connectMs: number;
  /** For the next bytes of an answer: its headers, then each chunk of its body. Not a whole-request deadline. */
  idleMs: number;
}

export const DEFAULT_TIMEOUTS: NetworkTimeouts = { connectMs: 30_000, idleMs: 30_000 };

const KEEP_ALIVE_MS = 30_000;

export interface RegistryDispatcherOptions {
  tls: TlsConnectOptions;
  proxy: ProxyConfig;
  timeouts: NetworkTimeouts;
}

/**
 * The one dispatcher behind a registry's requests (its API, its token
 * service, redirect targets): each origin goes direct or through its proxy
 * (CONNECT for https, absolute-URI forwarding for http), with the registry's
 * TLS options on the origin connection and the same time-outs everywhere.
 * It remembers which origins have answered in this run, and makes
 * siblings with pools of their own (`fresh()`) for retries.
 */
export class RegistryDispatcher extends Dispatcher {
  readonly #opts: RegistryDispatcherOptions;
  readonly #direct: Agent;
  readonly #proxied = new Map<string, ProxyAgent>();
  /** Origins that have answered at least once, shared with the siblings. */
  readonly #answered: Set<string>;

  constructor(options: RegistryDispatcherOptions, answered = new Set<string>()) {
    super();
    this.#opts = options;
    this.#answered = answered;
    const { connectMs, idleMs } = options.timeouts;
    this.#direct = new Agent({
      connect: { ...options.tls, timeout: connectMs },
      headersTimeout: idleMs,
      bodyTimeout: idleMs,
      keepAliveTimeout: KEEP_ALIVE_MS,
    });
  }

  get timeouts(): NetworkTimeouts {
    return this.#opts.timeouts;
  }

  /**
   * A sibling with the same routes and options but empty pools: its first
   * request opens a new connection, so nothing stale is reused. Close it once
   * its request was sent (close waits for the answer to be read).
   * Not a pool of `Connection: close` requests: undici 7.30 can crash when a
   * closing peer ends a response whose body is paused (nodejs/undici#5360).
   */
  fresh(): RegistryDispatcher {
    return new RegistryDispatcher(this.#opts, this.#answered);
  }

  /** Notes that `url`'s origin answered (any status): from now on its failures are outages. */
  markAnswered(url: URL): void {
    this.#answered.add(url.origin);
  }

  /** True once `url`'s origin has answered in this run. */
  hasAnswered(url: URL): boolean {
    return this.#answered.has(url.origin);
  }

  /** What a network error on `url` should say about the way it went. */
  context(url: URL): NetworkContext {
    return { route: this.route(url), timeouts: this.#opts.timeouts, answered: this.hasAnswered(url) };
  }

  /** How `url` is reached: direct, or through which proxy. */
  route(url: URL): Route {
    return routeFor(url, this.#opts.proxy);
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = options.origin;
    const proxy = origin === undefined ? undefined : this.route(new URL(origin.toString())).proxy;
    return (proxy === undefined ? this.#direct : this.#agentFor(proxy)).dispatch(options, handler);
  }

  override async close(): Promise<void> {
    await Promise.all([this.#direct, ...this.#proxied.values()].map((d) => d.close()));
  }

  override async destroy(): Promise<void> {
    await Promise.all([this.#direct, ...this.#proxied.values()].map((d) => d.destroy()));
  }

  #agentFor(proxy: URL): ProxyAgent {
    let agent = this.#proxied.get(proxy.href);
    if (agent === undefined) {
      agent = this.#newProxyAgent(proxy);
      this.#proxied.set(proxy.href, agent);
    }
    return agent;
  }

  #newProxyAgent(proxy: URL): ProxyAgent {
    const { connectMs, idleMs } = this.#opts.timeouts;
    const timeouts = { headersTimeout: idleMs, bodyTimeout: idleMs, keepAliveTimeout: KEEP_ALIVE_MS };
    return new ProxyAgent({
      uri: proxy.href,
      // Plain-HTTP registries are reached by forwarding (GET http://host/v2/), as curl does; https by CONNECT.
      proxyTunnel: false,
      requestTls: { ...this.#opts.tls, timeout: connectMs },
      proxyTls: { ca: this.#opts.tls.ca, timeout: connectMs },
      ...timeouts,
      // The pools to the proxy itself (CONNECT, forwarding) get the same time-outs as every other.
      clientFactory: (origin, opts) => new Pool(origin, { ...timeouts, ...opts }),
      factory: (origin, opts) => new Pool(origin, { ...timeouts, ...opts }),
    });
  }
}

/** Notes that `url`'s origin answered, when `dispatcher` keeps count. */
export function markAnsweredOn(dispatcher: Dispatcher, url: URL): void {
  if (dispatcher instanceof RegistryDispatcher) dispatcher.markAnswered(url);
}

/** The context of a request sent through `dispatcher`; empty for a foreign dispatcher. */
export function networkContextOf(dispatcher: Dispatcher, url: URL): NetworkContext {
  return dispatcher instanceof RegistryDispatcher ? dispatcher.context(url) : {};
}
