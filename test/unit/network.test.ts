import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDuration, parseRetryFor } from "../../src/cli/parse.js";
import { AirlockError } from "../../src/errors.js";
import { networkError, type NetworkContext } from "../../src/registry/network-error.js";
import {
  fixedProxyConfig,
  noProxyMatches,
  parseNoProxy,
  proxyConfigFromEnv,
  proxyLabel,
  routeFor,
} from "../../src/registry/proxy.js";
import { parseBudgetMs, parseDurationMs } from "../../src/util/duration.js";

const url = (text: string): URL => new URL(text);

describe("NO_PROXY", () => {
  const cases: [string, string, boolean][] = [
    ["reg.example.com", "https://reg.example.com/v2/", true],
    ["example.com", "https://reg.example.com/v2/", true],
    [".example.com", "https://reg.example.com/v2/", true],
    ["*.example.com", "https://reg.example.com/v2/", true],
    ["example.com", "https://notexample.com/v2/", false],
    ["reg.example.com:5000", "https://reg.example.com:5000/v2/", true],
    ["reg.example.com:5000", "https://reg.example.com/v2/", false],
    ["reg.example.com:443", "https://reg.example.com/v2/", true],
    ["*", "http://anything:1/", true],
    ["a.test, 127.0.0.1", "http://127.0.0.1:5000/", true],
    ["[::1]", "http://[::1]:5000/", true],
    ["", "http://127.0.0.1:5000/", false],
    ["localhost", "http://127.0.0.1:5000/", false],
  ];
  for (const [noProxy, target, direct] of cases) {
    it(`${JSON.stringify(noProxy)} ${direct ? "sends" : "does not send"} ${target} direct`, () => {
      assert.equal(noProxyMatches(url(target), parseNoProxy(noProxy)), direct);
    });
  }
});

describe("proxy configuration", () => {
  it("uses HTTPS_PROXY for https and HTTP_PROXY for http, lowercase first, no fallback between them", () => {
    const config = proxyConfigFromEnv({ HTTPS_PROXY: "http://upper:1", https_proxy: "lower:2" });
    assert.equal(routeFor(url("https://r/v2/"), config).proxy?.host, "lower:2");
    assert.equal(routeFor(url("https://r/v2/"), config).source, "https_proxy");
    assert.equal(routeFor(url("http://r/v2/"), config).proxy, undefined, "HTTPS_PROXY is not used for http");
    const onlyHttp = proxyConfigFromEnv({ HTTP_PROXY: "http://p:3128" });
    assert.equal(routeFor(url("https://r/v2/"), onlyHttp).proxy, undefined);
    assert.equal(routeFor(url("http://r/v2/"), onlyHttp).proxy?.host, "p:3128");
  });

  it("reports a URL NO_PROXY exempts, and does not exempt loopback by itself", () => {
    const config = proxyConfigFromEnv({ HTTPS_PROXY: "http://p:3128", NO_PROXY: "internal.corp" });
    assert.deepEqual(routeFor(url("https://reg.internal.corp/v2/"), config), { bypassed: true });
    assert.equal(routeFor(url("https://127.0.0.1:5000/v2/"), config).proxy?.host, "p:3128");
  });

  it("a registry's proxy: setting ignores NO_PROXY; false goes direct", () => {
    const fixed = fixedProxyConfig("http://u:p@p:1", "setting");
    assert.equal(routeFor(url("http://127.0.0.1/"), fixed).proxy?.username, "u");
    assert.deepEqual(routeFor(url("https://r/"), fixedProxyConfig(false, "setting")), {});
  });

  it("labels a proxy without its credentials, with its port", () => {
    assert.equal(proxyLabel(url("http://user:secret@proxy.corp")), "proxy.corp:80");
    assert.equal(proxyLabel(url("https://user:secret@proxy.corp:3128")), "proxy.corp:3128");
  });

  it("refuses unsupported schemes with the variable's name, never its value", () => {
    assert.throws(
      () => proxyConfigFromEnv({ HTTPS_PROXY: "socks5://user:secret@p:1" }),
      (err: unknown) =>
        err instanceof AirlockError &&
        err.code === "ERR_USAGE" &&
        /^HTTPS_PROXY: proxy scheme socks5/.test(err.message) &&
        !err.message.includes("secret"),
    );
  });
});

describe("durations", () => {
  const cases: [string, number | undefined][] = [
    ["30s", 30_000],
    ["2m", 120_000],
    ["500ms", 500],
    ["45", 45_000],
    ["1.5s", 1500],
    ["1h", 3_600_000],
    ["0", undefined],
    ["-1s", undefined],
    ["soon", undefined],
    ["5x", undefined],
  ];
  for (const [text, ms] of cases) {
    it(`${JSON.stringify(text)} is ${ms ?? "refused"}`, () => assert.equal(parseDurationMs(text), ms));
  }
  it("--timeout names itself when refused", () => {
    assert.throws(() => parseDuration("soon"), /--timeout "soon" is not a duration/);
  });
  it("a retry budget may also be 0: no retries", () => {
    for (const zero of ["0", "0s", "0m", 0]) assert.equal(parseBudgetMs(zero), 0);
    assert.equal(parseRetryFor("5m"), 300_000);
    assert.equal(parseRetryFor("30s"), 30_000);
    assert.equal(parseRetryFor("0"), 0);
    assert.throws(() => parseRetryFor("-1s"), /--retry-for "-1s" is not a duration/);
    assert.throws(() => parseRetryFor("forever"), /--retry-for "forever" is not a duration/);
  });
});

describe("network errors", () => {
  const target = url("https://reg.example.com/v2/app/manifests/1");
  const proxy = url("http://user:s3cret@proxy.corp:3128");
  const viaProxy: NetworkContext = {
    route: { proxy, source: "HTTPS_PROXY" },
    timeouts: { connectMs: 30_000, idleMs: 2_000 },
  };
  const fail = (code: string, message = "boom"): Error => Object.assign(new Error(message), { code });
  const map = (err: unknown, ctx: NetworkContext = {}): AirlockError =>
    networkError(err, "reg.example.com", "GET", target, ctx);

  const cases: [string, unknown, NetworkContext, RegExp, boolean][] = [
    ["EHOSTUNREACH", fail("EHOSTUNREACH"), {}, /^cannot reach reg\.example\.com: no route/, true],
    ["ENETUNREACH", fail("ENETUNREACH"), {}, /no route to it .*\(no HTTPS_PROXY set\)$/, true],
    ["EAI_AGAIN", fail("EAI_AGAIN"), {}, /^cannot resolve host reg\.example\.com .*check the name/, true],
    [
      "ENOTFOUND via a proxy",
      fail("ENOTFOUND"),
      viaProxy,
      /^cannot resolve proxy proxy\.corp:3128 \(HTTPS_PROXY\)/,
      true,
    ],
    [
      "a refused proxy",
      fail("ECONNREFUSED"),
      viaProxy,
      /^connection refused by proxy proxy\.corp:3128/,
      true,
    ],
    [
      "a connect time-out",
      fail("UND_ERR_CONNECT_TIMEOUT"),
      viaProxy,
      /^no connection to proxy proxy\.corp:3128 \(HTTPS_PROXY\) within 30 s/,
      true,
    ],
    ["a headers time-out", fail("UND_ERR_HEADERS_TIMEOUT"), viaProxy, /sent no answer within 2 s/, true],
    ["a body time-out", fail("UND_ERR_BODY_TIMEOUT"), viaProxy, /stopped sending for 2 s/, true],
    [
      "407 to CONNECT",
      fail("UND_ERR_ABORTED", "Proxy response (407) !== 200 when HTTP Tunneling"),
      viaProxy,
      /refused the credentials in its URL \(HTTP 407\)/,
      false,
    ],
    [
      "502 to CONNECT",
      fail("UND_ERR_ABORTED", "Proxy response (502) !== 200 when HTTP Tunneling"),
      viaProxy,
      /would not connect to reg\.example\.com \(HTTP 502 to CONNECT\)/,
      false,
    ],
    [
      "407 to a forwarded request",
      fail("UND_ERR_INVALID_ARG", "Proxy Authentication Required (407)"),
      { route: { proxy: url("http://proxy.corp:3128"), source: "HTTP_PROXY" } },
      /requires authentication \(HTTP 407\).*USER:PASSWORD@HOST:PORT/,
      false,
    ],
    ["a reset", fail("ECONNRESET"), {}, /^the connection to reg\.example\.com was cut/, true],
  ];
  // The last column: retryable once the registry has answered in this run; never at the first contact.
  for (const [name, err, ctx, pattern, retryable] of cases) {
    it(`${name}: one line, no raw code, no credentials; ${retryable ? "retried" : "not retried"} mid-run`, () => {
      const mapped = map(err, ctx);
      assert.equal(mapped.code, "ERR_NETWORK");
      assert.match(mapped.message, pattern);
      assert.doesNotMatch(mapped.message, /\b(E[A-Z]{4,}|UND_ERR_\w+)\b|s3cret|\n/);
      assert.equal(mapped.retryable, false, "at the first contact");
      assert.equal(map(err, { ...ctx, answered: true }).retryable, retryable, "once the registry answered");
    });
  }

  it("keeps TLS verification failures as ERR_TLS", () => {
    assert.equal(map(fail("SELF_SIGNED_CERT_IN_CHAIN")).code, "ERR_TLS");
  });
});
