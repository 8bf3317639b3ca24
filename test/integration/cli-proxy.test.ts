import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { load } from "js-yaml";
import type { Lock } from "../../src/plan/lock-types.js";
import { isOneCleanLine, runAirlock, writeAuthFile, type CliResult } from "../harness/cli.js";
import { startSeededRegistry } from "../harness/fixtures.js";
import { startSilentServer, startTestProxy, type TestProxy } from "../harness/http-proxy.js";
import type { TestRegistry } from "../harness/registry.js";

/** A name no resolver knows; only the test proxy maps it to 127.0.0.1. */
const FAKE_HOST = "registry.airlock.test";
const USER = "proxyuser";
const PASSWORD = "proxy-s3cret";

/** A network failure: exit 5, one clean line matching `pattern`, no raw error code. */
function assertNetworkFailure(res: CliResult, pattern: RegExp): void {
  assert.equal(res.code, 5, res.stderr);
  assert.ok(isOneCleanLine(res.stderr), `not one clean line: ${JSON.stringify(res.stderr)}`);
  assert.match(res.stderr, pattern);
  assert.doesNotMatch(res.stderr, /\b(E[A-Z]{4,}|UND_ERR_\w+)\b/, "no raw error code");
}

const images = (host: string): string => `  - ${host}/fixtures/multi-oci:v1
  - ref: ${host}/fixtures/single-docker:v1
    platforms: [linux/amd64]
`;

describe("proxies: HTTP_PROXY, HTTPS_PROXY, NO_PROXY and a registry's proxy: setting", () => {
  let plain: TestRegistry;
  let tls: TestRegistry;
  let token: TestRegistry;
  let proxy: TestProxy;
  let dir: string;
  const through = (): number => proxy.requests.length;

  before(async () => {
    [plain, tls, token] = await Promise.all([
      startSeededRegistry("plain").then((s) => s.registry),
      startSeededRegistry("tls").then((s) => s.registry),
      startSeededRegistry("token").then((s) => s.registry),
    ]);
    proxy = await startTestProxy({
      hosts: { [FAKE_HOST]: "127.0.0.1" },
      credentials: { username: USER, password: PASSWORD },
    });
    dir = await mkdtemp(join(tmpdir(), "airlock-proxy-"));
  });
  after(async () => Promise.all([plain.stop(), tls.stop(), token.stop(), proxy.close()]));

  const fake = (registry: TestRegistry): string => `${FAKE_HOST}:${registry.host.split(":")[1] ?? ""}`;
  const writeList = async (name: string, text: string): Promise<string> => {
    const file = join(dir, name);
    await writeFile(file, text);
    return file;
  };

  it("lock and create-bundle reach a plain registry known only to the proxy (forwarding, with credentials)", async () => {
    const host = fake(plain);
    const list = await writeList(
      "plain.yaml",
      `registries:\n  ${host}:\n    plainHttp: true\nimages:\n${images(host)}`,
    );
    const env = { HTTP_PROXY: proxy.urlWithCredentials };
    const before = through();
    const locked = await runAirlock(["lock", "-f", list, "-v"], { env });
    assert.equal(locked.code, 0, locked.stderr);
    assert.match(locked.stderr, /via proxy 127\.0\.0\.1:\d+/);
    assert.doesNotMatch(locked.stderr, new RegExp(PASSWORD), "the proxy password is never printed");
    const lock = load(await readFile(join(dir, "plain.lock"), "utf8")) as Lock;
    assert.equal(lock.entries.flatMap((e) => e.images).length, 2);

    const out = join(dir, "plain.tar");
    const bundled = await runAirlock(["create-bundle", "-f", list, "-o", out], { env });
    assert.equal(bundled.code, 0, bundled.stderr);
    assert.equal((await runAirlock(["verify-bundle", out])).code, 0);
    const forwarded = proxy.requests.slice(before);
    assert.ok(forwarded.length > 0);
    assert.ok(forwarded.every((r) => r.method !== "CONNECT" && r.target === host && r.status === 200));

    const direct = await runAirlock(["lock", "-f", list, "--update"]);
    assert.equal(direct.code, 5, "without the proxy the name does not resolve");
  });

  it("lock reaches a TLS registry through a CONNECT tunnel, verifying its certificate", async () => {
    const host = fake(tls);
    const list = await writeList("tls.yaml", `images:\n${images(host)}`);
    const before = through();
    const env = { https_proxy: proxy.urlWithCredentials };
    const res = await runAirlock(["lock", "-f", list, "--ca-file", tls.caFile ?? ""], { env });
    assert.equal(res.code, 0, res.stderr);
    const tunnels = proxy.requests.slice(before);
    assert.ok(tunnels.length > 0);
    assert.ok(tunnels.every((r) => r.method === "CONNECT" && r.target === host && r.status === 200));

    const untrusted = await runAirlock(["lock", "-f", list, "--update"], { env });
    assert.equal(untrusted.code, 5, "the tunnelled connection still verifies TLS");
    assert.match(untrusted.stderr, /TLS verification of registry\.airlock\.test:\d+ failed/);
  });

  it("token requests go through the proxy too", async () => {
    const host = fake(token);
    const auth = await writeAuthFile({ ...token, host });
    const ref = `${host}/fixtures/single-oci:v1`;
    const before = through();
    const env = { HTTP_PROXY: proxy.urlWithCredentials };
    const res = await runAirlock(["digest", "--plain-http", "--authfile", auth, ref], { env });
    assert.equal(res.code, 0, res.stderr);
    const targets = new Set(proxy.requests.slice(before).map((r) => r.target));
    assert.ok(targets.has(host), "registry requests went through the proxy");
    const issuer = [...targets].filter((t) => /^127\.0\.0\.1:\d+$/.test(t));
    assert.equal(issuer.length, 1, "so did the token request, to the issuer on loopback");
    assert.ok((token.tokenRequests ?? []).length > 0);
  });

  it("NO_PROXY sends a registry direct: the proxy sees nothing", async () => {
    const list = await writeList("direct.yaml", `images:\n${images(plain.host)}`);
    const before = through();
    const env = { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: "example.com,127.0.0.1" };
    const res = await runAirlock(["lock", "-f", list], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(through(), before, "no request reached the proxy");
  });

  it("loopback is proxied too unless NO_PROXY names it, and a registry's proxy: false goes direct", async () => {
    const env = { HTTP_PROXY: proxy.urlWithCredentials, HTTPS_PROXY: proxy.urlWithCredentials };
    const list = await writeList("loopback.yaml", `images:\n${images(plain.host)}`);
    let before = through();
    const proxied = await runAirlock(["lock", "-f", list], { env });
    assert.equal(proxied.code, 0, proxied.stderr);
    assert.ok(through() > before, "the loopback registry was reached through the proxy");

    const direct = await writeList(
      "no-proxy-setting.yaml",
      `registries:\n  ${plain.host}:\n    proxy: false\nimages:\n${images(plain.host)}`,
    );
    before = through();
    const res = await runAirlock(["lock", "-f", direct], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(through(), before);
  });

  it("a registry's proxy: setting overrides the environment", async () => {
    const host = fake(plain);
    const list = await writeList(
      "setting.yaml",
      `registries:\n  ${host}:\n    plainHttp: true\n    proxy: ${proxy.urlWithCredentials}\nimages:\n${images(host)}`,
    );
    const before = through();
    const res = await runAirlock(["lock", "-f", list], { env: { HTTP_PROXY: "http://127.0.0.1:1" } });
    assert.equal(res.code, 0, res.stderr);
    assert.ok(through() > before);
  });

  it("a proxy that wants credentials, or refuses them, is one clear line that never shows them", async () => {
    const ref = `${fake(tls)}/fixtures/multi-oci:v1`;
    const ca = ["--ca-file", tls.caFile ?? ""];
    const missing = await runAirlock(["digest", ref, ...ca], { env: { HTTPS_PROXY: proxy.url } });
    assertNetworkFailure(
      missing,
      /proxy 127\.0\.0\.1:\d+ \(HTTPS_PROXY\) requires authentication \(HTTP 407\)/,
    );

    const wrong = proxy.url.replace("//", `//${USER}:wrong-${PASSWORD}@`);
    const refused = await runAirlock(["digest", ref, ...ca], { env: { HTTPS_PROXY: wrong } });
    assertNetworkFailure(refused, /refused the credentials in its URL \(HTTP 407\)/);
    assert.doesNotMatch(refused.stderr, new RegExp(PASSWORD));

    const forwarded = await runAirlock(["digest", "--plain-http", ref], { env: { HTTP_PROXY: proxy.url } });
    assertNetworkFailure(forwarded, /requires authentication \(HTTP 407\)/);

    const unknown = await runAirlock(["digest", "elsewhere.airlock.test/app:1"], {
      env: { HTTPS_PROXY: proxy.urlWithCredentials },
    });
    assertNetworkFailure(unknown, /would not connect to elsewhere\.airlock\.test \(HTTP 502 to CONNECT\)/);

    const down = await runAirlock(["digest", ref], {
      env: { HTTPS_PROXY: `http://${USER}:${PASSWORD}@127.0.0.1:1` },
    });
    assertNetworkFailure(down, /connection refused by proxy 127\.0\.0\.1:1 \(HTTPS_PROXY\)/);
    assert.doesNotMatch(down.stderr, new RegExp(PASSWORD));
  });
});

describe("time-outs and unreachable hosts: one clear line, exit 5", () => {
  it("a registry that accepts and never answers fails within --timeout", async (t) => {
    const silent = await startSilentServer();
    t.after(() => silent.close());
    const began = Date.now();
    const answer = await runAirlock(["digest", "--plain-http", "--timeout", "2s", `${silent.host}/app:1`]);
    assertNetworkFailure(answer, /127\.0\.0\.1:\d+ sent no answer within 2 s .*raise --timeout/);
    // Over TLS (the loopback scheme probe), the handshake never completes: a connect time-out.
    const handshake = await runAirlock(["digest", "--timeout", "1500ms", `${silent.host}/app:1`]);
    assertNetworkFailure(handshake, /no connection to 127\.0\.0\.1:\d+ within 1500 ms/);
    assert.ok(Date.now() - began < 12_000, `took ${Date.now() - began} ms`);
  });

  it("lock against a registry that never answers stops at the time-out", async (t) => {
    const silent = await startSilentServer();
    t.after(() => silent.close());
    const dir = await mkdtemp(join(tmpdir(), "airlock-timeout-"));
    const list = join(dir, "airlock.yaml");
    await writeFile(list, `images:\n${images(silent.host)}`);
    const began = Date.now();
    const res = await runAirlock(["lock", "-f", list, "--timeout", "2"]);
    assert.equal(res.code, 5, res.stderr);
    assert.match(res.stderr, /within 2 s/);
    assert.ok(Date.now() - began < 10_000, `took ${Date.now() - began} ms`);
  });

  it("an unresolvable name and an unroutable address name the host and what to check", async () => {
    assertNetworkFailure(
      await runAirlock(["digest", "no-such-registry.invalid/app:1"]),
      /cannot resolve host no-such-registry\.invalid .*check the name or your network\/proxy \(no HTTPS_PROXY set\)/,
    );
    // TCP to the broadcast address fails at once in the kernel (ENETUNREACH): no packet leaves.
    assertNetworkFailure(
      await runAirlock(["digest", "255.255.255.255:5000/app:1"]),
      /cannot reach 255\.255\.255\.255:5000: no route to it .*check the address or your network\/proxy/,
    );
    assertNetworkFailure(
      await runAirlock(["digest", "no-such-registry.invalid/app:1"], {
        env: { HTTPS_PROXY: "http://127.0.0.1:1", NO_PROXY: ".invalid" },
      }),
      /cannot resolve host no-such-registry\.invalid .*\(direct: NO_PROXY matches no-such-registry\.invalid\)/,
    );
  });

  it("a bad --timeout or proxy variable is a usage error", async () => {
    const bad = await runAirlock(["digest", "--timeout", "soon", "127.0.0.1:1/app:1"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--timeout "soon" is not a duration/);
    const retry = await runAirlock(["digest", "--retry-for", "forever", "127.0.0.1:1/app:1"]);
    assert.equal(retry.code, 2, retry.stderr);
    assert.match(retry.stderr, /--retry-for "forever" is not a duration/);
    const scheme = await runAirlock(["digest", "127.0.0.1:1/app:1"], {
      env: { https_proxy: "socks4://127.0.0.1:1" },
    });
    assert.equal(scheme.code, 2, scheme.stderr);
    assert.match(scheme.stderr, /https_proxy: proxy scheme socks4 is not supported/);
  });
});
