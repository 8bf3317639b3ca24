import { AirlockError, messageOf } from "../errors.js";
import type { NetworkTimeouts } from "./dispatcher.js";
import { errorCode, isTlsProtocolMismatch, redactUrl } from "./http-errors.js";
import { proxyLabel, type Route } from "./proxy.js";
import { isRetryableNetworkError, isUnreachableError } from "./retry.js";

/** What the transport knows about how a failed request travelled. */
export interface NetworkContext {
  route?: Route;
  timeouts?: NetworkTimeouts;
  /**
   * The origin has answered before in this run. Only then is a refused,
   * unresolved, unreachable or cut connection worth retrying (an outage); at
   * the first contact it is a mistake to report at once.
   */
  answered?: boolean;
}

const TLS_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
]);

const CUT = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "ECONNABORTED"]);

/** The parts every message is made of. */
interface Parts {
  code: string;
  /** "GET https://host/v2/…" */
  where: string;
  /** Who the connection was to: the registry's host, or "proxy HOST:PORT (HTTPS_PROXY)". */
  peer: string;
  /** " (via proxy …)" or " (direct: NO_PROXY matches …)"; "" when no proxy is configured. */
  note: string;
  /** Where a missing proxy might be the cause: note, or " (no HTTPS_PROXY set)". */
  hint: string;
  proxied: boolean;
}

/**
 * A connection-level failure as one clear AirlockError: what failed, where,
 * through which proxy, and what to check. Never a bare error code.
 */
export function networkError(
  err: unknown,
  host: string,
  method: string,
  url: URL,
  ctx: NetworkContext = {},
): AirlockError {
  if (err instanceof AirlockError) return err;
  const parts = describe(err, method, url, ctx.route ?? {});
  const retryable = ctx.answered === true && (isRetryableNetworkError(err) || isUnreachableError(err));
  const fail = (message: string): AirlockError =>
    new AirlockError("ERR_NETWORK", message, { cause: err, retryable });
  const { code, where, peer, note, hint } = parts;
  if (TLS_CODES.has(code)) {
    return new AirlockError(
      "ERR_TLS",
      `TLS verification of ${host} failed (${code}): pass --ca-file with the registry's CA, put it in /etc/containers/certs.d/${host}/ca.crt, or use --insecure to skip verification`,
      { cause: err },
    );
  }
  const proxyError = proxyRefusal(err, url, parts, ctx.route ?? {});
  // The proxy said no: asking again gets the same answer.
  if (proxyError !== undefined) return new AirlockError("ERR_NETWORK", proxyError, { cause: err });
  const seconds = (ms: number | undefined): string => (ms === undefined ? "the time-out" : formatSeconds(ms));
  switch (code) {
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return fail(
        parts.proxied
          ? `cannot resolve ${peer} (${where}): check the proxy setting or your network`
          : `cannot resolve host ${url.hostname} (${where}): check the name or your network/proxy${hint}`,
      );
    case "ECONNREFUSED":
      return fail(
        parts.proxied
          ? `connection refused by ${peer} (${where}): is the proxy running and the setting right?`
          : `connection refused by ${url.host} (${where}): is the registry running?${note}`,
      );
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return fail(
        `cannot reach ${peer}: no route to it (${where}): check the address or your network/proxy${hint}`,
      );
    case "UND_ERR_CONNECT_TIMEOUT":
    case "ETIMEDOUT":
      return fail(
        `no connection to ${peer} within ${seconds(ctx.timeouts?.connectMs)} (${where}): check the address, a firewall or your network/proxy${hint}; --timeout sets the wait`,
      );
    case "UND_ERR_HEADERS_TIMEOUT":
      return fail(
        `${url.host} sent no answer within ${seconds(ctx.timeouts?.idleMs)} (${where})${note}; if it is only slow, raise --timeout`,
      );
    case "UND_ERR_BODY_TIMEOUT":
      return fail(
        `${url.host} stopped sending for ${seconds(ctx.timeouts?.idleMs)} (${where})${note}; if it is only slow, raise --timeout`,
      );
  }
  if (isTlsProtocolMismatch(err)) {
    return new AirlockError(
      "ERR_TLS",
      `${url.host} does not speak TLS (${where}): use --plain-http if the registry serves plain HTTP`,
      { cause: err },
    );
  }
  if (CUT.has(code)) {
    return fail(`the connection to ${peer} was cut (${where})${note}`);
  }
  return fail(`${where} failed: ${messageOf(err) || code}${note}`);
}

function describe(err: unknown, method: string, url: URL, route: Route): Parts {
  const code = errorCode(err) ?? "";
  const where = `${method} ${redactUrl(url)}`;
  if (route.proxy !== undefined) {
    const label = `proxy ${proxyLabel(route.proxy)}${route.source ? ` (${route.source})` : ""}`;
    const note = ` (via ${label})`;
    return { code, where, peer: label, note, hint: note, proxied: true };
  }
  if (route.bypassed === true) {
    const note = ` (direct: NO_PROXY matches ${url.hostname})`;
    return { code, where, peer: url.host, note, hint: note, proxied: false };
  }
  const hint = ` (no ${url.protocol === "https:" ? "HTTPS_PROXY" : "HTTP_PROXY"} set)`;
  return { code, where, peer: url.host, note: "", hint, proxied: false };
}

/** The proxy said no: 407, or another status to CONNECT. undefined for anything else. */
function proxyRefusal(err: unknown, url: URL, parts: Parts, route: Route): string | undefined {
  if (route.proxy === undefined) return undefined;
  const status = proxyStatus(err);
  if (status === undefined) return undefined;
  if (status === 407) {
    return route.proxy.username !== ""
      ? `${parts.peer} refused the credentials in its URL (HTTP 407) (${parts.where})`
      : `${parts.peer} requires authentication (HTTP 407) (${parts.where}): put them in the proxy URL, http://USER:PASSWORD@HOST:PORT`;
  }
  return `${parts.peer} would not connect to ${url.host} (HTTP ${status} to CONNECT) (${parts.where}): check the registry name, or list it in NO_PROXY if it is reachable directly`;
}

/** undici's ProxyAgent reports a refused tunnel or proxy authentication only in its message. */
function proxyStatus(err: unknown): number | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const match = /^Proxy response \((\d+)\) !== 200|Proxy Authentication Required \((\d+)\)/.exec(e.message);
    if (match !== null) return Number(match[1] ?? match[2]);
  }
  return undefined;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 || ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}
