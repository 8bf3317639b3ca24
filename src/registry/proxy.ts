import { AirlockError } from "../errors.js";

/**
 * Which proxy each URL goes through, as curl and Go decide it: HTTPS_PROXY for
 * https URLs, HTTP_PROXY for http ones (lowercase names first), unless
 * NO_PROXY matches the host. Loopback is not exempt unless NO_PROXY says so.
 */
export interface ProxyConfig {
  /** For http:// URLs. */
  http?: URL;
  /** For https:// URLs. */
  https?: URL;
  /** NO_PROXY entries, parsed. */
  noProxy: NoProxyEntry[];
  /** Where the proxies came from, named in errors: "HTTPS_PROXY", "registries.X.proxy". */
  source: { http?: string; https?: string };
}

export interface NoProxyEntry {
  /** Lowercase host without a leading dot; "*" matches every host. */
  host: string;
  /** 0 for any port. */
  port: number;
}

/** How one URL is reached. */
export interface Route {
  /** The proxy it goes through. */
  proxy?: URL;
  /** Where `proxy` came from ("HTTPS_PROXY", ...). */
  source?: string;
  /** True when a proxy is configured for this scheme but NO_PROXY sends the URL direct. */
  bypassed?: boolean;
}

export const NO_PROXY: ProxyConfig = { noProxy: [], source: {} };

const DEFAULT_PORTS: Record<string, number> = { "http:": 80, "https:": 443 };

/** The proxies named by HTTP_PROXY, HTTPS_PROXY and NO_PROXY (or their lowercase forms) in `env`. */
export function proxyConfigFromEnv(env: NodeJS.ProcessEnv): ProxyConfig {
  const pick = (name: string): [string, string] | undefined => {
    for (const key of [name.toLowerCase(), name]) {
      const value = env[key]?.trim();
      if (value) return [key, value];
    }
    return undefined;
  };
  const config: ProxyConfig = { noProxy: parseNoProxy(pick("NO_PROXY")?.[1] ?? ""), source: {} };
  const http = pick("HTTP_PROXY");
  if (http !== undefined) {
    config.http = parseProxyUrl(http[1], http[0]);
    config.source.http = http[0];
  }
  const https = pick("HTTPS_PROXY");
  if (https !== undefined) {
    config.https = parseProxyUrl(https[1], https[0]);
    config.source.https = https[0];
  }
  return config;
}

/** One proxy for every URL, NO_PROXY ignored (a registry's `proxy:` setting); `false` for none. */
export function fixedProxyConfig(proxy: string | false, source: string): ProxyConfig {
  if (proxy === false || proxy.trim() === "") return NO_PROXY;
  const url = parseProxyUrl(proxy, source);
  return { http: url, https: url, noProxy: [], source: { http: source, https: source } };
}

/** "proxy.corp:3128" or "http://user:pass@proxy.corp:3128" → URL; `where` names the setting in errors. */
export function parseProxyUrl(text: string, where: string): URL {
  const url = checkProxyUrl(text);
  if (typeof url === "string") throw new AirlockError("ERR_USAGE", `${where}: ${url}`);
  return url;
}

/** The proxy URL (http:// assumed when no scheme is given), or what is wrong with it. */
export function checkProxyUrl(text: string): URL | string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return "not a proxy URL (expected http://HOST:PORT)";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `proxy scheme ${url.protocol.replace(/:$/, "")} is not supported (use http:// or https://)`;
  }
  return url;
}

/** NO_PROXY: comma- or space-separated host, host:port, .suffix or *.suffix, or "*". */
export function parseNoProxy(text: string): NoProxyEntry[] {
  const entries: NoProxyEntry[] = [];
  for (const item of text.split(/[,\s]+/)) {
    if (item === "") continue;
    const match = /^(.*?)(?::(\d+))?$/.exec(item.toLowerCase());
    const host = (match?.[1] ?? item).replace(/^\*?\./, "").replace(/^\[(.*)\]$/, "$1");
    if (host !== "") entries.push({ host, port: Number(match?.[2] ?? 0) });
  }
  return entries;
}

/** True when NO_PROXY sends `url` direct. "example.com" also matches its subdomains, as in curl. */
export function noProxyMatches(url: URL, entries: NoProxyEntry[]): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  const port = Number(url.port) || DEFAULT_PORTS[url.protocol] || 0;
  return entries.some(
    (e) =>
      e.host === "*" ||
      ((e.port === 0 || e.port === port) && (host === e.host || host.endsWith(`.${e.host}`))),
  );
}

/** How `url` is reached under `config`. */
export function routeFor(url: URL, config: ProxyConfig): Route {
  const secure = url.protocol === "https:";
  const proxy = secure ? config.https : config.http;
  if (proxy === undefined) return {};
  if (noProxyMatches(url, config.noProxy)) return { bypassed: true };
  return { proxy, source: secure ? config.source.https : config.source.http };
}

/** A proxy as it may be printed: host:port, never its credentials. */
export function proxyLabel(proxy: URL): string {
  return proxy.port ? proxy.host : `${proxy.host}:${DEFAULT_PORTS[proxy.protocol] ?? ""}`;
}
