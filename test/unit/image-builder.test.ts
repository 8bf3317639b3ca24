import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { extract } from "tar-stream";
import { sha256Digest } from "../../src/oci/digest.js";
import { MediaType } from "../../src/oci/media-types.js";
import type { Descriptor, ImageConfig, ImageManifest, Index } from "../../src/oci/types.js";
import { buildFixtureGraph, formatPlatform, type FixtureGraph } from "../harness/fixture-images.js";
import {
  IN_TOTO_MEDIA_TYPE,
  blobsOf,
  buildLayer,
  type BuiltImage,
  type BuiltNode,
} from "../harness/image-builder.js";

const graph = await buildFixtureGraph();

function allNodes(g: FixtureGraph): { ref: string; node: BuiltNode }[] {
  return [
    ...g.harness.map((f) => ({ ref: `${f.name}:${f.tags.join(",")}`, node: f.node })),
    ...g.skopeo.map((f) => ({ ref: `${f.name}:${f.tag}`, node: f.node })),
  ];
}

function imagesOf(node: BuiltNode): BuiltImage[] {
  return node.kind === "index" ? node.children : [node];
}

function nodeFor(ref: string): BuiltNode {
  const found = allNodes(graph).find((entry) => entry.ref === ref);
  assert.ok(found, `no fixture ${ref}`);
  return found.node;
}

function parse<T>(bytes: Buffer): T {
  return JSON.parse(bytes.toString("utf8")) as T;
}

function assertDescribes(descriptor: Descriptor | undefined, bytes: Buffer, mediaType: string): void {
  assert.ok(descriptor);
  assert.equal(descriptor.mediaType, mediaType);
  assert.equal(descriptor.digest, sha256Digest(bytes));
  assert.equal(descriptor.size, bytes.length);
}

interface TarEntry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  content: string;
}

async function listTar(tar: Buffer): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const reader = extract();
  reader.end(tar);
  for await (const entry of reader) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(Buffer.from(chunk as Uint8Array));
    const { name, type, mode = 0, uid = -1, gid = -1, mtime } = entry.header;
    const content = Buffer.concat(chunks).toString("utf8");
    entries.push({ name, type: String(type), mode, uid, gid, mtime: mtime?.getTime() ?? -1, content });
  }
  return entries;
}

describe("image builder", () => {
  it("builds the same bytes every time", async () => {
    const again = await buildFixtureGraph();
    const digests = (g: FixtureGraph) =>
      allNodes(g).flatMap(({ ref, node }) => blobsOf(node).map((blob) => `${ref} ${blob.digest}`));
    assert.deepEqual(digests(again), digests(graph));
    const layer = await buildLayer([{ path: "a/" }, { path: "a/b", content: "x" }]);
    assert.ok(layer.bytes.equals((await buildLayer([{ path: "a/" }, { path: "a/b", content: "x" }])).bytes));
  });

  it("writes tars with fixed times, owners and modes (pinned diff_id of the base layer)", async () => {
    assert.equal(
      graph.baseLayer.diffId,
      "sha256:70e23d84fa5f00d6021e747352c56d4c205c430e07cb601a8b1ffaadce5fd2c9",
    );
    assert.equal(graph.baseLayer.bytes.readUInt32LE(4), 0, "gzip header mtime is 0");
    const entries = await listTar(gunzipSync(graph.baseLayer.bytes));
    assert.deepEqual(
      entries.map((e) => [e.name, e.type, e.mode.toString(8)]),
      [
        ["bin/", "directory", "755"],
        ["bin/true", "file", "755"],
        ["etc/", "directory", "755"],
        ["etc/os-release", "file", "644"],
        ["tmp/", "directory", "1777"],
      ],
    );
    for (const entry of entries) assert.deepEqual([entry.uid, entry.gid, entry.mtime], [0, 0, 0]);
  });

  it("records diff_ids that are the sha256 of each gunzipped layer", () => {
    for (const { ref, node } of allNodes(graph)) {
      for (const image of imagesOf(node)) {
        const config = parse<ImageConfig>(image.config.bytes);
        const expected = image.layers.map((layer) =>
          layer.mediaType === IN_TOTO_MEDIA_TYPE
            ? sha256Digest(layer.bytes)
            : sha256Digest(gunzipSync(layer.bytes)),
        );
        assert.deepEqual(config.rootfs?.diff_ids, expected, ref);
      }
    }
  });

  it("makes every digest and size match the bytes it describes", () => {
    for (const { node } of allNodes(graph)) {
      for (const blob of blobsOf(node)) assert.equal(blob.digest, sha256Digest(blob.bytes));
      if (node.kind === "index") {
        const index = parse<Index>(node.bytes);
        assert.equal(index.mediaType, node.mediaType);
        node.children.forEach((child, i) =>
          assertDescribes(index.manifests[i], child.bytes, child.mediaType),
        );
      }
      for (const image of imagesOf(node)) {
        const manifest = parse<ImageManifest>(image.bytes);
        assert.equal(manifest.mediaType, image.mediaType);
        assertDescribes(manifest.config, image.config.bytes, manifest.config.mediaType);
        image.layers.forEach((layer, i) => assertDescribes(manifest.layers[i], layer.bytes, layer.mediaType));
      }
    }
  });

  it("uses each format's media types, and configs that match their platform", () => {
    for (const { ref, node } of allNodes(graph)) {
      const docker = node.mediaType.includes("docker");
      for (const image of imagesOf(node)) {
        const manifest = parse<ImageManifest>(image.bytes);
        const config = parse<ImageConfig>(image.config.bytes);
        assert.equal(image.mediaType, docker ? MediaType.DockerManifest : MediaType.OciManifest, ref);
        assert.equal(manifest.config.mediaType, docker ? MediaType.DockerConfig : MediaType.OciConfig, ref);
        const { architecture, os, variant } = config;
        assert.deepEqual({ architecture, os, variant }, { variant: undefined, ...image.platform });
        if (image.platform.os === "unknown") continue;
        const layerType = docker ? MediaType.DockerLayerTarGzip : MediaType.OciLayerTarGzip;
        for (const layer of manifest.layers) assert.equal(layer.mediaType, layerType, ref);
        assert.equal(config.config?.Cmd?.[0], "/app/hello");
      }
    }
  });

  it("lists the specified platforms, with a buildx-style attestation in multi-oci:v1", () => {
    const platforms = (ref: string) => imagesOf(nodeFor(ref)).map((image) => formatPlatform(image.platform));
    assert.deepEqual(platforms("fixtures/multi-oci:v1"), [
      "linux/amd64",
      "linux/arm64/v8",
      "linux/arm/v7",
      "unknown/unknown",
    ]);
    assert.deepEqual(platforms("fixtures/multi-oci:v2"), ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"]);
    assert.deepEqual(platforms("fixtures/multi-docker:v1"), ["linux/amd64", "linux/arm64"]);
    assert.deepEqual(platforms("fixtures/single-oci:v1,latest"), ["linux/amd64"]);
    assert.deepEqual(platforms("fixtures/single-docker:v1"), ["linux/amd64"]);
    const index = parse<Index>(nodeFor("fixtures/multi-oci:v1").bytes);
    const [amd64, , , attestation] = index.manifests;
    assert.deepEqual(attestation?.platform, { architecture: "unknown", os: "unknown" });
    assert.deepEqual(attestation?.annotations, {
      "vnd.docker.reference.digest": amd64?.digest,
      "vnd.docker.reference.type": "attestation-manifest",
    });
    assert.equal(nodeFor("fixtures/multi-docker:v1").mediaType, MediaType.DockerManifestList);
    assert.ok(index.manifests.every((d) => d.platform !== undefined));
  });

  it("shares one base layer across every image, with an app layer per platform", () => {
    const appLayers = new Set<string>();
    for (const { ref, node } of allNodes(graph)) {
      for (const image of imagesOf(node)) {
        if (image.platform.os === "unknown") continue;
        assert.equal(image.layers[0]?.digest, graph.baseLayer.digest, ref);
        const app = image.layers.at(-1)?.digest ?? "";
        assert.ok(!appLayers.has(app), `${ref} ${formatPlatform(image.platform)} reuses an app layer`);
        appLayers.add(app);
      }
    }
    assert.ok((imagesOf(nodeFor("fixtures/single-oci:v1,latest"))[0]?.layers.length ?? 0) >= 3);
  });

  it("gives the tags repository distinct images, with latest on 2.0.0", () => {
    const tags = graph.harness.filter((f) => f.name === "fixtures/tags");
    assert.deepEqual(
      tags.map((f) => f.tags),
      [["1.0.0"], ["1.1.0"], ["1.2.0"], ["2.0.0", "latest"]],
    );
    assert.equal(new Set(tags.map((f) => f.node.digest)).size, tags.length);
  });
});
