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
 * It remembers which origins have answered in this run, and has a sibling,
 * `fresh`, that opens a new connection for every request (for retries).
 */
export class RegistryDispatcher extends Dispatcher {
  readonly #opts: RegistryDispatcherOptions;
  /** 1: connections kept alive and reused; 0: a new connection per request, closed after it. */
  readonly #pipelining: 0 | 1;
  readonly #direct: Agent;
  readonly #proxied = new Map<string, ProxyAgent>();
  /** Origins that have answered at least once, shared with the sibling. */
  readonly #answered: Set<string>;
  #fresh: RegistryDispatcher | undefined;

  constructor(options: RegistryDispatcherOptions, sibling?: { answered: Set<string> }) {
    super();
    this.#opts = options;
    this.#pipelining = sibling === undefined ? 1 : 0;
    this.#answered = sibling?.answered ?? new Set();
    const { connectMs, idleMs } = options.timeouts;
    this.#direct = new Agent({
      connect: { ...options.tls, timeout: connectMs },
      headersTimeout: idleMs,
      bodyTimeout: idleMs,
      keepAliveTimeout: KEEP_ALIVE_MS,
      pipelining: this.#pipelining,
    });
  }

  get timeouts(): NetworkTimeouts {
    return this.#opts.timeouts;
  }

  /** The same routes and options, but a new connection for every request: nothing stale can be reused. */
  get fresh(): RegistryDispatcher {
    if (this.#pipelining === 0) return this;
    this.#fresh ??= new RegistryDispatcher(this.#opts, { answered: this.#answered });
    return this.#fresh;
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
    await Promise.all([this.#direct, ...this.#proxied.values(), ...this.#siblings()].map((d) => d.close()));
  }

  override async destroy(): Promise<void> {
    await Promise.all([this.#direct, ...this.#proxied.values(), ...this.#siblings()].map((d) => d.destroy()));
  }

  #siblings(): Dispatcher[] {
    return this.#fresh === undefined ? [] : [this.#fresh];
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
    const timeouts = {
      headersTimeout: idleMs,
      bodyTimeout: idleMs,
      keepAliveTimeout: KEEP_ALIVE_MS,
      pipelining: this.#pipelining,
    };
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
