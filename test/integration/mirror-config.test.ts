// The site side: images from three upstream hosts pushed under a prefix, then pulled by their
// ORIGINAL names through the configuration mirror-config writes — skopeo with registries.conf,
// Debian's containerd (ctr --hosts-dir) with the certs.d tree — while the upstream registry is
// stopped and the internet is out of reach (HTTP(S)_PROXY point at a closed port; loopback is
// never proxied), so the site registry is the only place the images exist.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { load } from "js-yaml";
import { parse } from "smol-toml";
import { makeBundle } from "../harness/bundles.js";
import { runAirlock } from "../harness/cli.js";
import { startContainerd, type TestContainerd } from "../harness/containerd.js";
import { startSeededRegistry, type FixtureSet } from "../harness/fixtures.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";
import { runSkopeo, runTool } from "../harness/tools.js";

const sha256 = (b: Buffer): string => "sha256:" + createHash("sha256").update(b).digest("hex");
/** smol-toml's tables have no prototype: as plain objects, for deepEqual. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
/** Nothing listens on port 9 of loopback: whatever would go out to the internet fails at once. */
const NO_INTERNET = { HTTPS_PROXY: "http://127.0.0.1:9", HTTP_PROXY: "http://127.0.0.1:9", NO_PROXY: "" };

/** Original name → upstream repository it is served from in the stand-in registry. */
const IMAGES = [
  { original: "docker.io/library/tiny:v1", site: "site/library/tiny:v1" },
  { original: "docker.io/fixtures/multi-oci:v1", site: "site/fixtures/multi-oci:v1" },
  { original: "ghcr.io/fixtures/single-oci:v1", site: "site/fixtures/single-oci:v1" },
  { original: "registry.k8s.io/fixtures/multi-docker:v1", site: "site/fixtures/multi-docker:v1" },
];

interface PushJson {
  mirrorConfig?: { written: string[] };
  digestMap: { reference: string; repository: string; tag?: string; upstream: string; site: string }[];
  digestMapFile: string;
}

describe("mirror-config: pulls by original name reach the site registry", () => {
  let upstream: TestRegistry;
  let site: TestRegistry;
  let fixtures: FixtureSet;
  let bundle: string;
  let work: string;
  let registriesConf: string;
  let pushed: PushJson;
  let lockFile: string;

  before(async () => {
    [{ registry: upstream, fixtures }, site] = await Promise.all([
      startSeededRegistry("plain"),
      startRegistry("plain"),
    ]);
    work = await mkdtemp(join(tmpdir(), "airlock-mirror-"));
    // A docker.io/library image: the single-oci fixture, copied as it is (digest kept).
    await runSkopeo([
      "copy",
      ...upstream.skopeoSrcFlags(),
      ...upstream.skopeoDestFlags(),
      `docker://${upstream.host}/fixtures/single-oci:v1`,
      `docker://${upstream.host}/library/tiny:v1`,
    ]);
    const made = await makeBundle(`registries:
  docker.io: { mirror: "${upstream.host}" }
  ghcr.io: { mirror: "${upstream.host}" }
  registry.k8s.io: { mirror: "${upstream.host}" }
images:
  - docker.io/library/tiny:v1
  - docker.io/fixtures/multi-oci:v1
  - ghcr.io/fixtures/single-oci:v1
  - ref: registry.k8s.io/fixtures/multi-docker:v1
    platforms: all
`);
    bundle = made.bundle;
    lockFile = made.lock;
    const out = join(work, "containers");
    const push = await runAirlock([
      "push-bundle",
      bundle,
      "--to",
      `${site.host}/site`,
      "--journal",
      join(work, "journal"),
      "--mirror-config",
      "registries.conf",
      "--mirror-config-out",
      `${out}/`,
      "--json",
    ]);
    assert.equal(push.code, 0, push.stderr);
    const result = JSON.parse(push.stdout.toString()) as PushJson;
    pushed = result;
    registriesConf = join(out, "registries.conf");
    assert.deepEqual(result.mirrorConfig?.written, [registriesConf]);
    // From here on, the site registry is the only place the images are.
    await upstream.stop();
  });
  after(async () => Promise.all([upstream.stop(), site.stop()]));

  const viaMirror = (args: string[]): Promise<{ stdout: Buffer }> =>
    runSkopeo([...args.slice(0, 1), "--registries-conf", registriesConf, ...args.slice(1)], {
      env: NO_INTERNET,
    });
  const atSite = async (ref: string): Promise<Buffer> =>
    (await runSkopeo(["inspect", "--raw", ...site.skopeoFlags(), `docker://${site.host}/${ref}`])).stdout;

  it("registries.conf has one [[registry]] per upstream host, the site under the prefix as its mirror", async () => {
    const conf = plain(parse(await readFile(registriesConf, "utf8"))) as {
      registry: { prefix: string; location: string; mirror: { location: string; insecure?: boolean }[] }[];
    };
    assert.deepEqual(
      conf.registry.map((r) => [r.prefix, r.location, r.mirror]),
      ["docker.io", "ghcr.io", "registry.k8s.io"].map((h) => [
        h,
        h,
        [{ location: `${site.host}/site`, insecure: true }],
      ]),
    );
  });

  it("skopeo pulls every image by its original name, from the site only", async () => {
    for (const image of IMAGES) {
      const raw = (await viaMirror(["inspect", "--raw", `docker://${image.original}`])).stdout;
      assert.deepEqual(raw, await atSite(image.site), image.original);
      const into = join(work, image.original.replace(/[/:]/g, "_"));
      await viaMirror(["copy", `docker://${image.original}`, `oci:${into}:x`]);
      assert.ok((await readdir(join(into, "blobs", "sha256"))).length >= 3, image.original);
      const path = image.site.replace(/:.*$/, "");
      assert.match(site.logs(), new RegExp(`/v2/${path}/manifests/v1`), image.original);
    }
  });

  it("skopeo pulls by the upstream platform-manifest digest through the mirror", async () => {
    const amd64 = (name: string): string => {
      const p = fixtures.byRef(name).platforms.find((x) => x.platform === "linux/amd64");
      assert.ok(p, name);
      return p.digest;
    };
    const pins = [
      `docker.io/fixtures/multi-oci@${amd64("fixtures/multi-oci:v1")}`,
      `ghcr.io/fixtures/single-oci@${fixtures.byRef("fixtures/single-oci:v1").digest}`,
      `registry.k8s.io/fixtures/multi-docker@${amd64("fixtures/multi-docker:v1")}`,
    ];
    for (const pin of pins) {
      const raw = (await viaMirror(["inspect", "--raw", `docker://${pin}`])).stdout;
      assert.equal(sha256(raw), pin.slice(pin.indexOf("@") + 1), pin);
    }
  });

  it("without the configuration, the same pull goes nowhere (the internet is out of reach)", async () => {
    await assert.rejects(
      runSkopeo(["inspect", "--raw", "docker://ghcr.io/fixtures/single-oci:v1"], { env: NO_INTERNET }),
    );
  });

  it("the digest map names the one filtered index; sed with it makes an upstream index pin resolve at the site", async () => {
    const upstreamIndex = fixtures.byRef("fixtures/multi-oci:v1").digest;
    const siteIndex = sha256(await atSite("site/fixtures/multi-oci:v1"));
    assert.notEqual(siteIndex, upstreamIndex, "registry:2 refused the sparse index");
    assert.deepEqual(pushed.digestMap, [
      {
        reference: "docker.io/fixtures/multi-oci:v1",
        repository: "site/fixtures/multi-oci",
        tag: "v1",
        upstream: upstreamIndex,
        site: siteIndex,
      },
    ]);
    const pinned = `docker.io/fixtures/multi-oci@${upstreamIndex}`;
    await assert.rejects(
      viaMirror(["inspect", "--raw", `docker://${pinned}`]),
      "the upstream index is not at the site",
    );
    const deployment = join(work, "deployment.yaml");
    await writeFile(
      deployment,
      `spec:\n  containers:\n    - image: ${pinned}\n    - image: ghcr.io/fixtures/single-oci:v1\n`,
    );
    await runTool("sed", ["-i", "-f", pushed.digestMapFile, deployment]);
    const images = (load(await readFile(deployment, "utf8")) as { spec: { containers: { image: string }[] } })
      .spec.containers;
    assert.deepEqual(
      images.map((c) => c.image),
      [`docker.io/fixtures/multi-oci@${siteIndex}`, "ghcr.io/fixtures/single-oci:v1"],
    );
    const raw = (await viaMirror(["inspect", "--raw", `docker://${images[0]?.image ?? ""}`])).stdout;
    assert.equal(sha256(raw), siteIndex);
  });

  it("a second push of the same bundle keeps the map (the image is unchanged, still filtered)", async () => {
    const again = await runAirlock([
      "push-bundle",
      bundle,
      "--to",
      `${site.host}/site`,
      "--journal",
      join(work, "journal"),
      "--json",
    ]);
    assert.equal(again.code, 0, again.stderr);
    const result = JSON.parse(again.stdout.toString()) as PushJson;
    assert.deepEqual(result.digestMap, pushed.digestMap);
    assert.equal(result.digestMapFile, pushed.digestMapFile);
    const commands = (await readFile(result.digestMapFile, "utf8"))
      .split("\n")
      .filter((l) => l.startsWith("s/"));
    assert.equal(commands.length, 1);
  });

  it("a mapping containerd cannot express: push-bundle --mirror-config containerd refuses it (exit 2) before pushing", async () => {
    const mapping = join(work, "mapping.yaml");
    await writeFile(mapping, "mappings:\n  - from: docker.io/library\n    to: split/hub\n");
    const res = await runAirlock([
      ...["push-bundle", bundle, "--to", `${site.host}/split`, "--mapping", mapping],
      ...["--journal", join(work, "journal-split"), "--mirror-config", "containerd"],
      ...["--mirror-config-out", `${join(work, "split-certs.d")}/`],
    ]);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /docker\.io/);
    const tags = runSkopeo(["list-tags", ...site.skopeoFlags(), `docker://${site.host}/split/hub/tiny`]);
    await assert.rejects(tags, "nothing was pushed");
  });

  it("from a bundle, --json names its sparse indexes (their digest changes where they are refused); from a lock, none are judged", async () => {
    const args = ["--to", `${site.host}/site`, "--format", "registries.conf", "--json"];
    const res = await runAirlock(["mirror-config", bundle, ...args]);
    assert.equal(res.code, 0, res.stderr);
    const result = JSON.parse(res.stdout.toString()) as {
      filtered?: { reference: string }[];
      images: number;
    };
    assert.equal(result.images, IMAGES.length);
    assert.deepEqual(
      result.filtered?.map((f) => f.reference),
      ["docker.io/fixtures/multi-oci:v1"],
    );
    const fromLock = await runAirlock(["mirror-config", lockFile, ...args]);
    assert.equal(fromLock.code, 0, fromLock.stderr);
    assert.equal((JSON.parse(fromLock.stdout.toString()) as { filtered?: unknown }).filtered, undefined);
  });

  it("k3s registries.yaml: mirrors with the site endpoint and a rewrite under the prefix, in the documented keys", async () => {
    const res = await runAirlock(["mirror-config", bundle, "--to", `${site.host}/site`, "--format", "k3s"]);
    assert.equal(res.code, 0, res.stderr);
    const doc = load(res.stdout.toString()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc), ["mirrors"]);
    const mirrors = doc.mirrors as Record<string, { endpoint: string[]; rewrite: Record<string, string> }>;
    assert.deepEqual(Object.keys(mirrors), ["docker.io", "ghcr.io", "registry.k8s.io"]);
    for (const m of Object.values(mirrors)) {
      assert.deepEqual(Object.keys(m), ["endpoint", "rewrite"]);
      assert.deepEqual(m.endpoint, [`https://${site.host}`], "without --plain-http the endpoint is https");
      assert.deepEqual(m.rewrite, { "^(.*)$": "site/$1" });
    }
    // The rewrite, applied as k3s applies it (Go regexp, $1), names where the site holds each image.
    for (const image of IMAGES) {
      const repo = image.original.slice(image.original.indexOf("/") + 1).replace(/:.*$/, "");
      const rewritten = repo.replace(/^(.*)$/, "site/$1");
      assert.equal(`${rewritten}:v1`, image.site);
    }
  });

  it("k3s with --plain-http, a CA and --insecure: http endpoints and configs.tls with the documented keys", async () => {
    const ca = join(work, "ca.pem");
    await (
      await import("node:fs/promises")
    ).writeFile(ca, "-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n");
    const res = await runAirlock([
      "mirror-config",
      bundle,
      "--to",
      `${site.host}/site`,
      "--format",
      "k3s",
      "--plain-http",
      "--ca-file",
      ca,
      "--insecure",
    ]);
    assert.equal(res.code, 0, res.stderr);
    const doc = load(res.stdout.toString()) as {
      mirrors: Record<string, { endpoint: string[] }>;
      configs: Record<string, { tls: Record<string, unknown> }>;
    };
    assert.deepEqual(doc.mirrors["ghcr.io"]?.endpoint, [`http://${site.host}`]);
    assert.deepEqual(doc.configs, { [site.host]: { tls: { ca_file: ca, insecure_skip_verify: true } } });
  });

  describe("a TLS site registry with its own CA", () => {
    let tls: TestRegistry;
    let containerd: TestContainerd;
    let out: string;
    before(async () => {
      [tls, containerd] = await Promise.all([startRegistry("tls"), startContainerd()]);
      const ca = tls.caFile ?? "";
      const push = await runAirlock([
        ...[
          "push-bundle",
          bundle,
          "--to",
          `${tls.host}/site`,
          "--ca-file",
          ca,
          "--journal",
          join(work, "journal-tls"),
        ],
        ...["--mirror-config", "containerd", "--mirror-config-out", `${join(work, "tls-certs.d")}/`],
      ]);
      assert.equal(push.code, 0, push.stderr);
      out = join(work, "tls-containers");
      const conf = await runAirlock([
        ...["mirror-config", bundle, "--to", `${tls.host}/site`, "--format", "registries.conf"],
        ...["--ca-file", ca, "-o", `${out}/`],
      ]);
      assert.equal(conf.code, 0, conf.stderr);
    });
    after(async () => Promise.all([tls.stop(), containerd.stop()]));

    it('containerd: the CA copied beside each hosts.toml (ca = "site-ca.crt") is what ctr trusts', async () => {
      const dir = join(work, "tls-certs.d");
      for (const host of ["docker.io", "ghcr.io", "registry.k8s.io"]) {
        const toml = plain(parse(await readFile(join(dir, host, "hosts.toml"), "utf8"))) as {
          host: Record<string, { ca?: string }>;
        };
        assert.deepEqual(
          Object.values(toml.host).map((h) => h.ca),
          ["site-ca.crt"],
        );
        assert.equal(
          await readFile(join(dir, host, "site-ca.crt"), "utf8"),
          await readFile(tls.caFile ?? "", "utf8"),
        );
      }
      const args = [
        "images",
        "pull",
        "--hosts-dir",
        dir,
        "--snapshotter",
        "native",
        "--platform",
        "linux/amd64",
      ];
      await containerd.ctr([...args, "ghcr.io/fixtures/single-oci:v1"], NO_INTERNET);
    });

    it("registries.conf: https mirrors (no insecure) and the CA as certs.d/<site>/ca.crt, which skopeo trusts", async () => {
      const conf = plain(parse(await readFile(join(out, "registries.conf"), "utf8"))) as {
        registry: { mirror: { location: string; insecure?: boolean }[] }[];
      };
      for (const r of conf.registry) assert.deepEqual(r.mirror, [{ location: `${tls.host}/site` }]);
      const certDir = join(out, "certs.d", tls.host);
      const raw = await runSkopeo(
        [
          ...["inspect", "--registries-conf", join(out, "registries.conf"), "--raw", "--cert-dir", certDir],
          "docker://registry.k8s.io/fixtures/multi-docker:v1",
        ],
        { env: NO_INTERNET },
      );
      assert.equal(sha256(raw.stdout), fixtures.byRef("fixtures/multi-docker:v1").digest);
    });
  });

  describe("containerd", () => {
    let containerd: TestContainerd;
    let hostsDir: string;
    before(async () => {
      containerd = await startContainerd();
      hostsDir = join(work, "certs.d");
      const res = await runAirlock([
        "mirror-config",
        bundle,
        "--to",
        `${site.host}/site`,
        "--plain-http",
        "--format",
        "containerd",
        "-o",
        `${hostsDir}/`,
      ]);
      assert.equal(res.code, 0, res.stderr);
    });
    after(async () => containerd.stop());

    it("writes certs.d/<upstream host>/hosts.toml in the documented keys, docker.io under its own name", async () => {
      assert.deepEqual((await readdir(hostsDir)).sort(), ["docker.io", "ghcr.io", "registry.k8s.io"]);
      for (const host of ["docker.io", "ghcr.io", "registry.k8s.io"]) {
        const toml = plain(parse(await readFile(join(hostsDir, host, "hosts.toml"), "utf8")));
        assert.deepEqual(toml, {
          server: host === "docker.io" ? "https://registry-1.docker.io" : `https://${host}`,
          host: {
            [`http://${site.host}/v2/site`]: { capabilities: ["pull", "resolve"], override_path: true },
          },
        });
      }
    });

    it("ctr --hosts-dir pulls every image by its original name and by platform digest, from the site only", async () => {
      const refs = [
        ...IMAGES.map((i) => i.original),
        `docker.io/fixtures/multi-oci@${fixtures.byRef("fixtures/multi-oci:v1").platforms.find((p) => p.platform === "linux/amd64")?.digest ?? ""}`,
      ];
      for (const ref of refs) {
        const args = [
          "images",
          "pull",
          "--hosts-dir",
          hostsDir,
          "--snapshotter",
          "native",
          "--platform",
          "linux/amd64",
        ];
        await containerd.ctr([...args, ref], NO_INTERNET);
      }
      const listed = (await containerd.ctr(["images", "ls", "-q"])).stdout.toString();
      for (const ref of refs) assert.ok(listed.split("\n").includes(ref), `${ref} in ${listed}`);
    });
  });
});
