import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { load } from "js-yaml";
import { targetRepository, targetTag } from "../../src/ref/target-name.js";
import { serveCommand } from "../../src/cli/commands/serve.js";
import { createLog } from "../../src/cli/log.js";
import { MediaType } from "../../src/oci/media-types.js";
import type { LockedImage, Lock } from "../../src/plan/lock-types.js";
import { serveRegistry, type ServedRegistry } from "../../src/serve/server.js";
import { makeBundle } from "../harness/bundles.js";
import { runAirlock } from "../harness/cli.js";
import { buildFixtureGraph } from "../harness/fixture-images.js";
import { manifestGet, pushNode } from "../harness/fixture-push.js";
import { writeOciLayout } from "../harness/fixture-skopeo.js";
import { startSeededRegistry, type FixtureSet } from "../harness/fixtures.js";
import {
  buildConfig,
  buildManifest,
  jsonBlob,
  toBlob,
  type BuiltImage,
  type BuiltNode,
} from "../harness/image-builder.js";
import { makeTestPki } from "../harness/pki.js";
import { pullConcurrently, rawRequest } from "../harness/raw-http.js";
import { startRegistry, type TestRegistry } from "../harness/registry.js";
import { runSkopeo } from "../harness/tools.js";

const sha256 = (b: Buffer): string => "sha256:" + createHash("sha256").update(b).digest("hex");
const MiB = 1024 * 1024;
const AMD64 = { os: "linux", architecture: "amd64" };

/** A single image whose one layer is `size` random bytes (an uncompressed "tar"). */
function buildBigImage(size: number): BuiltImage {
  const layer = { ...toBlob(randomBytes(size)), mediaType: MediaType.OciLayerTar };
  const config = buildConfig(AMD64, [{ ...layer, diffId: layer.digest }]);
  return buildManifest(MediaType.OciManifest, AMD64, { ...config, mediaType: MediaType.OciConfig }, [layer]);
}

/** An SBOM-like artifact whose subject is `subject`. */
function buildReferrer(subject: BuiltNode): BuiltImage {
  const config = { ...toBlob(Buffer.from("{}")), mediaType: MediaType.OciEmpty };
  const layer = { ...jsonBlob({ sbom: "for " + subject.digest }), mediaType: "application/spdx+json" };
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    artifactType: "application/vnd.example.sbom.v1",
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: { "org.example.kind": "sbom" },
  };
  return {
    kind: "image",
    mediaType: MediaType.OciManifest,
    platform: AMD64,
    config,
    layers: [layer],
    ...jsonBlob(manifest),
  };
}

/** Every manifest and blob digest an image of the lock reaches. */
function reached(image: LockedImage): { digest: string; size: number }[] {
  const all = [{ digest: image.digest, size: image.size }];
  for (const p of [...image.platforms, ...(image.attestations ?? [])]) {
    all.push({ digest: p.digest, size: p.size }, p.config, ...p.layers);
  }
  return all;
}

/**
 * The image's reference on the server: "HOST/fixtures/app:v1"; by its digest for a filtered
 * index, whose tag names an index of the carried platforms (test/integration/serve-sparse.test.ts).
 */
function servedRef(served: ServedRegistry, image: LockedImage): string {
  const repository = `${served.host}/${targetRepository(image.reference)}`;
  if (image.reference.endsWith("multi-oci:v2")) return `${repository}@${image.digest}`;
  return `${repository}:${targetTag(image.reference) ?? ""}`;
}

describe("airlock serve over a bundle made by the real CLI", () => {
  let registry: TestRegistry;
  let fixtures: FixtureSet;
  let bundle: string;
  let images: LockedImage[];
  let served: ServedRegistry;
  let bigLayer: { digest: string; size: number };

  before(async () => {
    ({ registry, fixtures } = await startSeededRegistry("plain"));
    const big = buildBigImage(20 * MiB);
    bigLayer = big.layers[0] ?? bigLayer;
    await pushNode(registry.url, "fixtures/big", big, ["v1"]);
    const host = registry.host;
    const made = await makeBundle(
      `defaults:
  platforms: all
images:
  - ${host}/fixtures/multi-oci:v1
  - ${host}/fixtures/multi-docker:v1
  - ${host}/fixtures/single-oci:v1
  - ${host}/fixtures/single-docker:v1
  - ${host}/fixtures/big:v1
  - ref: ${host}/fixtures/multi-oci:v2
    platforms: [linux/arm64]
`,
    );
    bundle = made.bundle;
    const lock = load(await readFile(made.lock, "utf8")) as Lock;
    images = lock.entries.flatMap((e) => e.images);
    served = await serveRegistry([bundle], { listen: "127.0.0.1:0" });
  });
  after(async () => {
    await served.close();
    await registry.stop();
  });

  it("names every locked image, and skopeo reads each manifest with the lock's digests", async () => {
    assert.equal(served.images, images.length);
    assert.ok(served.repositories.includes("fixtures/multi-oci"));
    for (const image of images) {
      const ref = `docker://${servedRef(served, image)}`;
      const top = (await runSkopeo(["inspect", "--raw", "--tls-verify=false", ref])).stdout;
      assert.equal(sha256(top), image.digest, image.reference);
      for (const p of image.platforms) {
        const child = `docker://${served.host}/${targetRepository(image.reference)}@${p.digest}`;
        const raw = (await runSkopeo(["inspect", "--raw", "--tls-verify=false", child])).stdout;
        assert.equal(sha256(raw), p.digest, `${image.reference} ${p.platform}`);
      }
    }
  });

  it("skopeo copy --all of every complete image into a real registry keeps every digest", async () => {
    const target = await startRegistry("plain");
    try {
      for (const image of images.filter((i) => !i.reference.endsWith("multi-oci:v2"))) {
        const path = `${targetRepository(image.reference)}:${targetTag(image.reference) ?? ""}`;
        await runSkopeo([
          ...["copy", "--all", "--preserve-digests", "--quiet"],
          ...["--src-tls-verify=false", "--dest-tls-verify=false"],
          `docker://${served.host}/${path}`,
          `docker://${target.host}/${path}`,
        ]);
        const [name = "", tag = ""] = path.split(":");
        assert.equal((await manifestGet(target.url, name, tag)).digest, image.digest, image.reference);
      }
    } finally {
      await target.stop();
    }
  });

  it("airlock digest, manifest and blob read it with the lock's digests", async () => {
    const checks = images.map(async (image) => {
      const ref = servedRef(served, image);
      const [digest, manifest] = await Promise.all([
        runAirlock(["digest", ref]),
        runAirlock(["manifest", ref]),
      ]);
      assert.equal(digest.code, 0, digest.stderr);
      assert.equal(digest.stdout.toString().trim(), image.digest);
      assert.equal(sha256(manifest.stdout), image.digest);
    });
    const bigRef = `${served.host}/fixtures/big@${bigLayer.digest}`;
    const [blob] = await Promise.all([runAirlock(["blob", bigRef]), ...checks]);
    assert.equal(blob.code, 0, blob.stderr);
    assert.equal(sha256(blob.stdout), bigLayer.digest);
  });

  it("16 concurrent clients pull every blob with the right sha256 while memory stays flat", async (t) => {
    const blobs = images.flatMap((image) =>
      reached(image).map((b) => ({
        path: `/v2/${targetRepository(image.reference)}/blobs/${b.digest}`,
        ...b,
      })),
    );
    const paths = blobs.map((b) => b.path);
    await pullConcurrently(served.url, paths, 1);
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const pulled = await pullConcurrently(served.url, paths, 16).finally(() => clearInterval(timer));
    assert.equal(pulled.length, 16 * blobs.length);
    for (const got of pulled) {
      const want = blobs.find((b) => b.path === got.path);
      assert.deepEqual([got.status, got.digest, got.size], [200, want?.digest, want?.size], got.path);
    }
    const total = pulled.reduce((sum, got) => sum + got.size, 0);
    assert.ok(total >= 100 * MiB, `served ${total} bytes`);
    const growth = peak - before;
    t.diagnostic(
      `server RSS +${(growth / MiB).toFixed(1)} MiB while serving ${(total / MiB).toFixed(0)} MiB to 16 clients`,
    );
    assert.ok(
      growth < 64 * MiB,
      `RSS grew by ${(growth / MiB).toFixed(1)} MiB serving ${(total / MiB).toFixed(0)} MiB`,
    );
    assert.equal((await rawRequest(served.url, "/v2/")).status, 200);
  });

  it("answers Range requests with the right bytes, and malformed or unsatisfiable ones with 416", async () => {
    const layer = fixtures.baseLayer;
    const path = `/v2/fixtures/single-oci/blobs/${layer.digest}`;
    const whole = await rawRequest(served.url, path);
    assert.equal(sha256(whole.body), layer.digest);
    const cases: [string, number, number][] = [
      ["bytes=0-9", 0, 10],
      ["bytes=10-", 10, layer.size],
      ["bytes=-7", layer.size - 7, layer.size],
      [`bytes=5-${layer.size + 100}`, 5, layer.size],
    ];
    for (const [range, from, to] of cases) {
      const res = await rawRequest(served.url, path, { headers: { range } });
      assert.equal(res.status, 206, range);
      assert.equal(res.headers["content-range"], `bytes ${from}-${to - 1}/${layer.size}`);
      assert.deepEqual(res.body, whole.body.subarray(from, to), range);
    }
    for (const range of [
      "bytes=abc",
      "bytes=9-3",
      "items=0-1",
      "bytes=-",
      `bytes=${layer.size}-`,
      "bytes=-0",
    ]) {
      const res = await rawRequest(served.url, path, { headers: { range } });
      assert.equal(res.status, 416, range);
      assert.equal(res.headers["content-range"], `bytes */${layer.size}`);
      const body = JSON.parse(res.body.toString()) as { errors: { code: string }[] };
      assert.equal(body.errors[0]?.code, "RANGE_INVALID");
    }
    const big = `/v2/fixtures/big/blobs/${bigLayer.digest}`;
    const tail = await rawRequest(served.url, big, { headers: { range: `bytes=${bigLayer.size - MiB}-` } });
    assert.equal(tail.status, 206);
    assert.equal(tail.body.length, MiB);
  });

  it("answers writes, bad names, unknown content and foreign digests with OCI errors, never crashing", async () => {
    const code = (res: { body: Buffer }): string =>
      (JSON.parse(res.body.toString()) as { errors: { code: string }[] }).errors[0]?.code ?? "";
    const multi = fixtures.byRef("fixtures/multi-oci:v1");
    for (const [method, path] of [
      ["POST", "/v2/fixtures/multi-oci/blobs/uploads/"],
      ["PUT", "/v2/fixtures/multi-oci/manifests/v9"],
      ["PATCH", "/v2/fixtures/multi-oci/blobs/uploads/abc"],
      ["DELETE", `/v2/fixtures/multi-oci/manifests/${multi.digest}`],
    ] as const) {
      const res = await rawRequest(served.url, path, { method, body: "{}" });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(code(res), "UNSUPPORTED");
    }
    const zero = `sha256:${"0".repeat(64)}`;
    const other = fixtures.byRef("fixtures/single-docker:v1");
    const cases: [string, number, string][] = [
      ["/v2/../../etc/passwd/manifests/x", 400, "NAME_INVALID"],
      ["/v2/a/%2e%2e/manifests/x", 400, "NAME_INVALID"],
      ["/v2/fixtures/%2e%2e%2f%2e%2e/blobs/" + zero, 400, "NAME_INVALID"],
      ["/v2/Fixtures/Multi/tags/list", 400, "NAME_INVALID"],
      ["/../../etc/passwd", 404, "NAME_UNKNOWN"],
      ["/v2/no/such/manifests/v1", 404, "NAME_UNKNOWN"],
      ["/v2/fixtures/multi-oci/manifests/nope", 404, "MANIFEST_UNKNOWN"],
      [`/v2/fixtures/multi-oci/manifests/${zero}`, 404, "MANIFEST_UNKNOWN"],
      [`/v2/fixtures/multi-oci/blobs/${zero}`, 404, "BLOB_UNKNOWN"],
      [`/v2/fixtures/multi-oci/manifests/${other.digest}`, 404, "MANIFEST_UNKNOWN"],
      [`/v2/fixtures/multi-oci/blobs/${other.platforms[0]?.configDigest ?? ""}`, 404, "BLOB_UNKNOWN"],
      ["/v2/fixtures/multi-oci/blobs/sha256:abc", 400, "DIGEST_INVALID"],
      ["/v2/fixtures/multi-oci/tags/list?n=x", 400, "PAGINATION_NUMBER_INVALID"],
    ];
    for (const [path, status, expected] of cases) {
      for (const method of ["GET", "HEAD"]) {
        const res = await rawRequest(served.url, path, { method });
        assert.equal(res.status, status, `${method} ${path}`);
        if (method === "GET") assert.equal(code(res), expected, path);
      }
    }
    const oci = await rawRequest(served.url, "/v2/fixtures/multi-oci/manifests/v1", {
      headers: { accept: MediaType.DockerManifestList },
    });
    assert.equal(oci.status, 404, "an OCI index is not served to a client that does not accept it");
    assert.equal(
      (await rawRequest(served.url, "/v2/")).headers["docker-distribution-api-version"],
      "registry/2.0",
    );
  });

  it("serves HEAD, tags/list and _catalog with n/last pagination and Link", async () => {
    const multi = fixtures.byRef("fixtures/multi-oci:v1");
    const head = await rawRequest(served.url, "/v2/fixtures/multi-oci/manifests/v1", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers["docker-content-digest"], multi.digest);
    assert.equal(head.headers["content-type"], multi.mediaType);
    assert.equal(head.headers["content-length"], String(multi.size));
    assert.equal(head.body.length, 0);
    const tags = await rawRequest(served.url, "/v2/fixtures/multi-oci/tags/list");
    assert.deepEqual(JSON.parse(tags.body.toString()), { name: "fixtures/multi-oci", tags: ["v1", "v2"] });
    const first = await rawRequest(served.url, "/v2/fixtures/multi-oci/tags/list?n=1");
    assert.deepEqual((JSON.parse(first.body.toString()) as { tags: string[] }).tags, ["v1"]);
    assert.equal(first.headers.link, '</v2/fixtures/multi-oci/tags/list?n=1&last=v1>; rel="next"');
    const names: string[] = [];
    let next: string | undefined = "/v2/_catalog?n=2";
    while (next !== undefined) {
      const page = await rawRequest(served.url, next);
      names.push(...(JSON.parse(page.body.toString()) as { repositories: string[] }).repositories);
      next = /^<([^>]+)>; rel="next"$/.exec(String(page.headers.link ?? ""))?.[1];
    }
    assert.deepEqual(names, served.repositories);
  });

  it("runs as `airlock serve`: prints where it listens and stops when aborted", async () => {
    const lines: string[] = [];
    const controller = new AbortController();
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    let announced: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (announced = resolve));
    const running = serveCommand.run({
      positionals: [bundle],
      values: { listen: "127.0.0.1:0" },
      remote: { signal: controller.signal },
      io: { stdout: sink, stderr: sink, stdin: process.stdin },
      say: (line) => {
        lines.push(line);
        if (line.startsWith("serving")) announced();
      },
      log: createLog(sink, "info"),
      json: false,
    });
    await ready;
    const match = /^serving (\d+) images at (http:\/\/127\.0\.0\.1:(\d+))$/.exec(lines.at(-1) ?? "");
    assert.ok(match, lines.join("\n"));
    assert.equal(Number(match[1]), images.length);
    assert.notEqual(match[3], "0");
    assert.equal((await rawRequest(match[2] ?? "", "/v2/")).status, 200);
    controller.abort();
    await running;
    await assert.rejects(rawRequest(match[2] ?? "", "/v2/"));
  });
});

describe("airlock serve over an OCI layout directory", () => {
  let layout: string;
  let subject: BuiltNode;
  let referrer: BuiltImage;
  let multi: BuiltNode;

  before(async () => {
    const graph = await buildFixtureGraph();
    const find = (name: string): BuiltNode => {
      const found = graph.harness.find((f) => f.name === name)?.node;
      if (found === undefined) throw new Error(name);
      return found;
    };
    subject = find("fixtures/single-oci");
    multi = find("fixtures/multi-oci");
    referrer = buildReferrer(subject);
    layout = join(await mkdtemp(join(tmpdir(), "airlock-serve-layout-")), "demo-layout");
    await mkdir(layout);
    await writeOciLayout(layout, [
      { ref: "v1", node: subject },
      { ref: "example.com/team/multi:v1", node: multi },
      { ref: "sbom", node: referrer },
    ]);
  });

  it("serves bare tags under the directory's name, full references as push-bundle names them, and referrers", async () => {
    const served = await serveRegistry([layout], { listen: "127.0.0.1:0", prefix: "site" });
    try {
      assert.deepEqual(served.repositories, ["site/demo-layout", "site/team/multi"]);
      const raw = await runSkopeo([
        "inspect",
        "--raw",
        "--tls-verify=false",
        `docker://${served.host}/site/demo-layout:v1`,
      ]);
      assert.equal(sha256(raw.stdout), subject.digest);
      const digest = await runAirlock(["digest", `${served.host}/site/team/multi:v1`]);
      assert.equal(digest.stdout.toString().trim(), multi.digest);
      const base = `/v2/site/demo-layout/referrers/${subject.digest}`;
      const all = await rawRequest(served.url, base);
      assert.equal(all.headers["content-type"], MediaType.OciIndex);
      const index = JSON.parse(all.body.toString()) as { manifests: Record<string, unknown>[] };
      assert.deepEqual(index.manifests, [
        {
          mediaType: MediaType.OciManifest,
          digest: referrer.digest,
          size: referrer.size,
          artifactType: "application/vnd.example.sbom.v1",
          annotations: { "org.example.kind": "sbom" },
        },
      ]);
      const none = await rawRequest(served.url, `${base}?artifactType=application%2Fother`);
      assert.equal(none.headers["oci-filters-applied"], "artifactType");
      assert.deepEqual((JSON.parse(none.body.toString()) as { manifests: unknown[] }).manifests, []);
      const elsewhere = await rawRequest(served.url, `/v2/site/team/multi/referrers/${subject.digest}`);
      assert.equal(elsewhere.status, 200);
      assert.deepEqual((JSON.parse(elsewhere.body.toString()) as { manifests: unknown[] }).manifests, []);
    } finally {
      await served.close();
    }
  });

  it("names repositories with push-bundle's mapping rules first", async () => {
    const mapping = [{ from: "example.com/team", to: "mirror/t" }];
    const served = await serveRegistry([layout], { listen: "127.0.0.1:0", mapping, keepHost: true });
    try {
      assert.deepEqual(served.repositories, ["localhost/demo-layout", "mirror/t/multi"]);
      const res = await rawRequest(served.url, "/v2/mirror/t/multi/manifests/v1");
      assert.equal(sha256(res.body), multi.digest);
    } finally {
      await served.close();
    }
  });

  it("serves a layout split in parts from one pool, and cuts a corrupt blob's response without stopping", async () => {
    const root = await mkdtemp(join(tmpdir(), "airlock-serve-parts-"));
    const [partA, partB] = [join(root, "part-a"), join(root, "part-b")];
    await writeOciLayout(partA, [{ ref: "v1", node: subject }]);
    await writeOciLayout(partB, []);
    const layers = subject.kind === "image" ? subject.layers : [];
    for (const layer of layers) {
      const hex = layer.digest.slice("sha256:".length);
      await rename(join(partA, "blobs", "sha256", hex), join(partB, "blobs", "sha256", hex));
    }
    const warnings: string[] = [];
    const served = await serveRegistry([partA, partB], {
      listen: "127.0.0.1:0",
      onWarning: (w) => warnings.push(w),
    });
    try {
      assert.deepEqual(served.repositories, ["part-a"]);
      for (const layer of layers) {
        const res = await rawRequest(served.url, `/v2/part-a/blobs/${layer.digest}`);
        assert.equal(sha256(res.body), layer.digest);
      }
      const victim = layers[layers.length - 1];
      assert.ok(victim !== undefined);
      const file = join(partB, "blobs", "sha256", victim.digest.slice("sha256:".length));
      const bytes = await readFile(file);
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
      await writeFile(file, bytes);
      const cut = await rawRequest(served.url, `/v2/part-a/blobs/${victim.digest}`).then(
        (res) => res.body.length,
        () => -1,
      );
      assert.ok(
        cut < victim.size,
        `a corrupt blob is never delivered whole (got ${cut} of ${victim.size} bytes)`,
      );
      assert.equal((await rawRequest(served.url, "/v2/")).status, 200, "the server lives on");
      assert.ok(
        warnings.some((w) => w.includes("corrupt")),
        warnings.join("\n"),
      );
    } finally {
      await served.close();
    }
  });

  it("serves HTTPS with --tls-cert/--tls-key", async () => {
    const pki = await makeTestPki(await mkdtemp(join(tmpdir(), "airlock-serve-pki-")));
    const served = await serveRegistry([layout], {
      listen: "127.0.0.1:0",
      tlsCert: pki.certFile,
      tlsKey: pki.keyFile,
    });
    try {
      assert.match(served.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const ref = `docker://${served.host}/demo-layout:v1`;
      const raw = await runSkopeo(["inspect", "--raw", "--cert-dir", pki.certDir, ref]);
      assert.equal(sha256(raw.stdout), subject.digest);
      const digest = await runAirlock(["digest", "--ca-file", pki.caFile, `${served.host}/team/multi:v1`]);
      assert.equal(digest.stdout.toString().trim(), multi.digest, digest.stderr);
      const ca = await readFile(pki.caFile);
      const blob = await rawRequest(served.url, `/v2/demo-layout/blobs/${subject.digest}`, { ca });
      assert.equal(sha256(blob.body), subject.digest);
    } finally {
      await served.close();
    }
  });
});
