import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { load } from "js-yaml";
import { parse } from "smol-toml";
import { AirlockError } from "../../src/errors.js";
import { renderMirrorConfig } from "../../src/plan/mirror-formats.js";
import { applyRules, mirrorHosts } from "../../src/plan/mirror-rules.js";
import { targetName, type TargetNaming } from "../../src/ref/target-name.js";

const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
const REFS = [
  "docker.io/library/nginx:1.27",
  "docker.io/bitnami/redis:7",
  "ghcr.io/org/app@sha256:" + "a".repeat(64),
  "registry.example.com:5000/team/api:1.2",
];
const MAPPED: TargetNaming = {
  prefix: "site",
  rules: [
    { from: "docker.io/library", to: "hub" },
    { from: "ghcr.io/org/app", to: "apps/app" },
  ],
};

describe("mirror rules", () => {
  const cases: { name: string; naming: TargetNaming }[] = [
    { name: "no prefix", naming: {} },
    { name: "a prefix", naming: { prefix: "site" } },
    { name: "a prefix and --keep-host", naming: { prefix: "site", keepHost: true } },
    { name: "mapping rules that split a host", naming: MAPPED },
  ];
  for (const { name, naming } of cases) {
    it(`with ${name}, the rules name every repository where push-bundle puts it`, () => {
      for (const host of mirrorHosts(REFS, naming)) {
        for (const [upstream, atSite] of host.repositories) {
          const reference = REFS.find((r) => r.startsWith(`${host.host}/${upstream}`)) ?? "";
          assert.equal(atSite, targetName(reference, naming).repository);
          assert.equal(applyRules(host.rules, upstream), atSite, `${host.host}/${upstream}`);
        }
      }
    });
  }

  it("--keep-host puts the host (port as _) under the prefix", () => {
    const hosts = mirrorHosts(REFS, { prefix: "site", keepHost: true });
    assert.deepEqual(
      hosts.map((h) => [h.host, h.rules]),
      [
        ["docker.io", [{ from: "", to: "site/docker.io" }]],
        ["ghcr.io", [{ from: "", to: "site/ghcr.io" }]],
        ["registry.example.com:5000", [{ from: "", to: "site/registry.example.com_5000" }]],
      ],
    );
  });
});

describe("mirror formats", () => {
  const site = { registry: "site.example:443" };

  it("registries.conf: one [[registry]] per mapping rule and per host, the longest prefix for the rule", () => {
    const [file] = renderMirrorConfig("registries.conf", mirrorHosts(REFS, MAPPED), site);
    const conf = plain(parse(file?.content ?? "")) as {
      registry: { prefix: string; mirror: { location: string }[] }[];
    };
    assert.deepEqual(
      conf.registry.map((r) => [r.prefix, r.mirror[0]?.location]),
      [
        ["docker.io/library", "site.example:443/hub"],
        ["docker.io", "site.example:443/site"],
        ["ghcr.io/org/app", "site.example:443/apps/app"],
        ["registry.example.com:5000", "site.example:443/site"],
      ],
    );
  });

  it("containerd refuses a mapping that splits a host, naming it and what to use instead", () => {
    assert.throws(
      () => renderMirrorConfig("containerd", mirrorHosts(REFS, MAPPED), site),
      (err: unknown) =>
        err instanceof AirlockError && err.code === "ERR_UNSUPPORTED" && /docker\.io/.test(err.message),
    );
  });

  it("containerd without a prefix: the site as a host, no override_path; CA files copied beside each hosts.toml", () => {
    const files = renderMirrorConfig("containerd", mirrorHosts(REFS.slice(0, 1), {}), {
      ...site,
      insecure: true,
      caFiles: [{ path: "/etc/ca.pem", pem: "PEM" }],
    });
    assert.deepEqual(
      files.map((f) => f.path),
      ["docker.io/hosts.toml", "docker.io/site-ca.crt"],
    );
    assert.deepEqual(plain(parse(files[0]?.content ?? "")), {
      server: "https://registry-1.docker.io",
      host: {
        "https://site.example:443": {
          capabilities: ["pull", "resolve"],
          skip_verify: true,
          ca: "site-ca.crt",
        },
      },
    });
    assert.equal(files[1]?.content, "PEM");
  });

  it("k3s: a host split by mapping rules gets one anchored rewrite per carried repository", () => {
    const [file] = renderMirrorConfig("k3s", mirrorHosts(REFS, MAPPED), site);
    const doc = load(file?.content ?? "") as {
      mirrors: Record<string, { rewrite?: Record<string, string> }>;
    };
    assert.deepEqual(doc.mirrors["docker.io"]?.rewrite, {
      "^library/nginx$": "hub/nginx",
      "^bitnami/redis$": "site/bitnami/redis",
    });
    assert.deepEqual(doc.mirrors["registry.example.com:5000"]?.rewrite, { "^(.*)$": "site/$1" });
  });
});
