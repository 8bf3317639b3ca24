/**
 * The seeded fixture registry: every fixture image from fixture-images.ts
 * pushed once per process into a plain registry (most by the harness's own
 * pusher, two by skopeo), whose storage is then copied so any registry
 * variant can start already holding them all.
 */
import { rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ImageManifest } from "../../src/oci/types.js";
import { onProcessExit } from "./exit-guard.js";
import {
  buildFixtureGraph,
  formatPlatform,
  type HarnessFixture,
  type SignedFixture,
  type SkopeoFixture,
} from "./fixture-images.js";
import { manifestGet, pushNode } from "./fixture-push.js";
import { skopeoPush, writeOciLayout } from "./fixture-skopeo.js";
import type { BuiltImage, BuiltNode } from "./image-builder.js";
import {
  startRegistry,
  type RegistryVariant,
  type StartRegistryOptions,
  type TestRegistry,
} from "./registry.js";
import { runTool } from "./tools.js";

/** One platform child of a fixture (or the image itself for a single-image fixture). */
export interface FixturePlatform {
  /** "os/arch[/variant]", e.g. "linux/arm/v7"; an attestation child is "unknown/unknown". */
  platform: string;
  digest: string;
  mediaType: string;
  size: number;
  configDigest: string;
  layers: { digest: string; size: number }[];
}

/** One tag of a fixture repository, as the seeded registry serves it. */
export interface FixtureImage {
  /** Repository, e.g. "fixtures/multi-oci". */
  name: string;
  tag: string;
  /** Digest of the top manifest. */
  digest: string;
  mediaType: string;
  size: number;
  /** Raw bytes of the top manifest (for skopeo-written ones: as fetched after the push). */
  bytes: Buffer;
  /** Every child of an index in index order (attestation included); single images: one entry. */
  platforms: FixturePlatform[];
  pushedBy: "harness" | "skopeo";
}

/** All fixture images, one entry per tag. */
export interface FixtureSet {
  images: FixtureImage[];
  /** The gzip layer every fixture image starts with. */
  baseLayer: { digest: string; size: number };
  /** The image for "name:tag"; throws when there is none. */
  byRef(nameTag: string): FixtureImage;
  /** fixtures/signed:v1 and what is attached to it (not among `images`). */
  signed: SignedFixture;
}

function platformOf(image: BuiltImage): FixturePlatform {
  return {
    platform: formatPlatform(image.platform),
    digest: image.digest,
    mediaType: image.mediaType,
    size: image.size,
    configDigest: image.config.digest,
    layers: image.layers.map(({ digest, size }) => ({ digest, size })),
  };
}

function fixtureImage(
  name: string,
  tag: string,
  node: BuiltNode,
  pushedBy: FixtureImage["pushedBy"],
): FixtureImage {
  const children = node.kind === "index" ? node.children : [node];
  const { digest, mediaType, size, bytes } = node;
  return { name, tag, digest, mediaType, size, bytes, platforms: children.map(platformOf), pushedBy };
}

function harnessImages(fixture: HarnessFixture): FixtureImage[] {
  return fixture.tags.map((tag) => fixtureImage(fixture.name, tag, fixture.node, "harness"));
}

/** Reads back what skopeo stored: preserved digests are checked, converted ones recorded. */
async function skopeoImage(registry: TestRegistry, fixture: SkopeoFixture): Promise<FixtureImage> {
  const fetched = await manifestGet(registry.url, fixture.name, fixture.tag);
  const { node } = fixture;
  if (fixture.convertTo === undefined) {
    if (!fetched.bytes.equals(node.bytes)) {
      throw new Error(`skopeo changed ${fixture.name}:${fixture.tag} despite --preserve-digests`);
    }
    return fixtureImage(fixture.name, fixture.tag, node, "skopeo");
  }
  if (node.kind !== "image") throw new Error(`${fixture.name}: only single images are converted`);
  const manifest = JSON.parse(fetched.bytes.toString("utf8")) as ImageManifest;
  const converted: FixturePlatform = {
    platform: formatPlatform(node.platform),
    digest: fetched.digest,
    mediaType: fetched.mediaType,
    size: fetched.bytes.length,
    configDigest: manifest.config.digest,
    layers: manifest.layers.map(({ digest, size }) => ({ digest, size })),
  };
  const { digest, mediaType, bytes } = fetched;
  const top = { digest, mediaType, size: bytes.length, bytes };
  return { name: fixture.name, tag: fixture.tag, ...top, platforms: [converted], pushedBy: "skopeo" };
}

function fixtureSet(
  images: FixtureImage[],
  baseLayer: FixtureSet["baseLayer"],
  signed: SignedFixture,
): FixtureSet {
  const byRef = (nameTag: string): FixtureImage => {
    const found = images.find((image) => `${image.name}:${image.tag}` === nameTag);
    if (found === undefined) throw new Error(`no fixture image ${nameTag}`);
    return found;
  };
  return { images, baseLayer, byRef, signed };
}

async function pushWithSkopeo(
  registry: TestRegistry,
  workDir: string,
  fixtures: SkopeoFixture[],
): Promise<FixtureImage[]> {
  const layoutDir = join(workDir, "layout");
  await writeOciLayout(
    layoutDir,
    fixtures.map((fixture) => ({ ref: fixture.layoutRef, node: fixture.node })),
  );
  for (const fixture of fixtures) await skopeoPush(registry, layoutDir, fixture);
  return Promise.all(fixtures.map((fixture) => skopeoImage(registry, fixture)));
}

/**
 * Pushes every fixture one after another. Distribution 2.8's filesystem driver
 * races when two requests write the same blob link at once (a HEAD then reads
 * an empty link file and answers 500), and the fixtures share base layers.
 */
async function pushAll(registry: TestRegistry, workDir: string): Promise<FixtureSet> {
  const graph = await buildFixtureGraph();
  for (const fixture of graph.harness) {
    await pushNode(registry.url, fixture.name, fixture.node, fixture.tags);
  }
  const { signed } = graph;
  await pushNode(registry.url, signed.name, signed.node, [signed.tag]);
  for (const t of signed.tagged) await pushNode(registry.url, signed.name, t.node, [t.tag]);
  const skopeoImages = await pushWithSkopeo(registry, workDir, graph.skopeo);
  const { digest, size } = graph.baseLayer;
  const images = [...graph.harness.flatMap(harnessImages), ...skopeoImages];
  return fixtureSet(images, { digest, size }, signed);
}

async function seed(): Promise<{ storageDir: string; fixtures: FixtureSet }> {
  const workDir = await mkdtemp(join(tmpdir(), "airlock-fixtures-"));
  onProcessExit(() => rmSync(workDir, { recursive: true, force: true }));
  const registry = await startRegistry("plain");
  try {
    const fixtures = await pushAll(registry, workDir);
    const storageDir = join(workDir, "storage");
    // cp -a: ten times faster than fs.cp on the registry's hundreds of small link files.
    await runTool("cp", ["-a", "--", registry.storageDir, storageDir]);
    return { storageDir, fixtures };
  } finally {
    await registry.stop();
  }
}

let seeding: Promise<{ storageDir: string; fixtures: FixtureSet }> | undefined;

/**
 * Starts a plain registry, pushes every fixture, copies its storage and stops
 * it; returns the copy (to pass as `copyStorageFrom`) and the fixture set.
 * Cached per process: the first call does the work. The copy is removed at exit.
 */
export function seededStorage(): Promise<{ storageDir: string; fixtures: FixtureSet }> {
  seeding ??= seed().catch((error: unknown) => {
    seeding = undefined;
    throw error;
  });
  return seeding;
}

/** A registry of any variant already holding every fixture (its storage is a copy; nothing is pushed). */
export async function startSeededRegistry(
  variant: RegistryVariant,
  options: Omit<StartRegistryOptions, "copyStorageFrom"> = {},
): Promise<{ registry: TestRegistry; fixtures: FixtureSet }> {
  const { storageDir, fixtures } = await seededStorage();
  const registry = await startRegistry(variant, { ...options, copyStorageFrom: storageDir });
  return { registry, fixtures };
}
