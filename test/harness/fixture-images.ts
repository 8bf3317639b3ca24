/**
 * The committed definition of every test fixture image, built in memory and
 * deterministic: the same bytes and digests on every run. Pushing them lives
 * in fixtures.ts; this module only builds.
 */
import type { Platform } from "../../src/oci/types.js";
import {
  buildCosignAttestation,
  buildCosignSbom,
  buildCosignSignature,
  buildReferrers,
  buildReferrersIndex,
  type AttachedManifest,
} from "./attached-images.js";
import {
  buildAttestation,
  buildImage,
  buildIndex,
  buildLayer,
  type BuiltImage,
  type BuiltIndex,
  type BuiltNode,
  type ImageFormat,
  type Layer,
} from "./image-builder.js";

/** An image the harness pushes itself, under one or more tags of `name`. */
export interface HarnessFixture {
  name: string;
  tags: string[];
  node: BuiltNode;
}

/** An image written to an OCI layout and pushed by `skopeo copy`. */
export interface SkopeoFixture {
  name: string;
  tag: string;
  /** `org.opencontainers.image.ref.name` of the image in the layout's index.json. */
  layoutRef: string;
  node: BuiltNode;
  /** "v2s2" makes skopeo convert to a Docker manifest; otherwise digests are preserved. */
  convertTo?: "v2s2";
}

/**
 * A two-platform image with content attached: cosign's .sig, .att and .sbom tags on the index,
 * a .sig on its linux/amd64 manifest, two OCI 1.1 referrers of the index behind the fallback
 * tag sha256-<hex>, and a .sig on the SBOM referrer (a referrer of a referrer).
 */
export interface SignedFixture {
  name: string;
  tag: string;
  node: BuiltIndex;
  /** linux/amd64 and linux/arm64/v8, in index order. */
  platforms: BuiltImage[];
  signature: AttachedManifest;
  attestation: AttachedManifest;
  sbom: AttachedManifest;
  /** cosign's .sig of the linux/amd64 manifest. */
  platformSignature: AttachedManifest;
  referrers: { sbom: AttachedManifest; scan: AttachedManifest };
  /** cosign's .sig of the SBOM referrer. */
  referrerSignature: AttachedManifest;
  /** Everything pushed beside the image, under its tag: cosign's tags and the fallback index. */
  tagged: { tag: string; node: BuiltNode }[];
}

/** Every fixture, plus the one base layer all of them share. */
export interface FixtureGraph {
  baseLayer: Layer;
  harness: HarnessFixture[];
  skopeo: SkopeoFixture[];
  signed: SignedFixture;
}

/** "sha256-<hex>", the tag scheme cosign and the referrers fallback share. */
export function digestTag(digest: string, suffix?: string): string {
  return `sha256-${digest.slice("sha256:".length)}${suffix === undefined ? "" : `.${suffix}`}`;
}

async function buildSignedFixture(base: Layer): Promise<SignedFixture> {
  const name = "fixtures/signed";
  const node = await buildMulti("oci", `${name}:v1`, [LINUX_AMD64, LINUX_ARM64_V8], base);
  const [amd64] = node.children;
  if (amd64 === undefined) throw new Error("signed:v1 has no linux/amd64 child");
  const signature = buildCosignSignature(name, node.digest);
  const attestation = buildCosignAttestation(name, node.digest);
  const sbom = buildCosignSbom(name, node.digest);
  const platformSignature = buildCosignSignature(name, amd64.digest);
  const referrers = buildReferrers(name, node);
  const referrerSignature = buildCosignSignature(name, referrers.sbom.digest);
  const tagged = [
    { tag: digestTag(node.digest, "sig"), node: signature },
    { tag: digestTag(node.digest, "att"), node: attestation },
    { tag: digestTag(node.digest, "sbom"), node: sbom },
    { tag: digestTag(amd64.digest, "sig"), node: platformSignature },
    { tag: digestTag(node.digest), node: buildReferrersIndex([referrers.sbom, referrers.scan]) },
    { tag: digestTag(referrers.sbom.digest, "sig"), node: referrerSignature },
  ];
  const platforms = node.children;
  return {
    name,
    tag: "v1",
    node,
    platforms,
    signature,
    attestation,
    sbom,
    platformSignature,
    referrers,
    referrerSignature,
    tagged,
  };
}

/** The platforms the fixtures are built for (arm64 both with and without its "v8" variant). */
export const LINUX_AMD64: Platform = { architecture: "amd64", os: "linux" };
export const LINUX_ARM64_V8: Platform = { architecture: "arm64", os: "linux", variant: "v8" };
export const LINUX_ARM64: Platform = { architecture: "arm64", os: "linux" };
export const LINUX_ARM_V7: Platform = { architecture: "arm", os: "linux", variant: "v7" };

/** "os/arch[/variant]", as in "linux/arm/v7". */
export function formatPlatform(platform: Platform): string {
  const parts = [platform.os, platform.architecture];
  if (platform.variant !== undefined) parts.push(platform.variant);
  return parts.join("/");
}

function buildBaseLayer(): Promise<Layer> {
  return buildLayer([
    { path: "bin/" },
    { path: "bin/true", content: "#!/bin/sh\nexit 0\n", mode: 0o755 },
    { path: "etc/" },
    { path: "etc/os-release", content: 'NAME="airlock fixture"\nID=airlock\nVERSION_ID=1\n' },
    { path: "tmp/", mode: 0o1777 },
  ]);
}

/** The layer that makes an image (and each of its platforms) its own. */
function buildAppLayer(label: string, platform: Platform): Promise<Layer> {
  const where = formatPlatform(platform);
  return buildLayer([
    { path: "app/" },
    { path: "app/hello", content: `#!/bin/sh\necho "hello from ${label} on ${where}"\n`, mode: 0o755 },
    { path: "app/VERSION", content: `${label}\n` },
  ]);
}

function buildDataLayer(label: string): Promise<Layer> {
  return buildLayer([
    { path: "etc/airlock/" },
    { path: "etc/airlock/app.conf", content: `name=${label}\nlevel=info\n` },
  ]);
}

/** A single image of `base + [data] + app` for `name:tag` on one platform. */
async function buildApp(
  format: ImageFormat,
  ref: string,
  platform: Platform,
  base: Layer,
  extra: Layer[] = [],
): Promise<BuiltImage> {
  const app = await buildAppLayer(ref, platform);
  const [name = ref, version = ""] = ref.split(":");
  return buildImage(format, platform, [base, ...extra, app], {
    env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", `FIXTURE=${ref}`],
    cmd: ["/app/hello"],
    labels: { "org.opencontainers.image.title": name, "org.opencontainers.image.version": version },
  });
}

async function buildMulti(
  format: ImageFormat,
  ref: string,
  platforms: Platform[],
  base: Layer,
): Promise<BuiltIndex> {
  const children = await Promise.all(platforms.map((platform) => buildApp(format, ref, platform, base)));
  return buildIndex(format, children);
}

async function buildMultiOciV1(base: Layer): Promise<BuiltIndex> {
  const ref = "fixtures/multi-oci:v1";
  const platforms = [LINUX_AMD64, LINUX_ARM64_V8, LINUX_ARM_V7];
  const children = await Promise.all(platforms.map((platform) => buildApp("oci", ref, platform, base)));
  const [amd64] = children;
  if (amd64 === undefined) throw new Error("multi-oci:v1 has no linux/amd64 child");
  const attestation = buildAttestation(amd64, `pkg:docker/${ref.replace(":", "@")}?platform=linux%2Famd64`);
  return buildIndex("oci", [...children, attestation]);
}

async function buildTagsRepo(base: Layer): Promise<HarnessFixture[]> {
  const versions = ["1.0.0", "1.1.0", "1.2.0", "2.0.0"];
  const images = await Promise.all(
    versions.map((version) => buildApp("oci", `fixtures/tags:${version}`, LINUX_AMD64, base)),
  );
  return images.map((node, i) => ({
    name: "fixtures/tags",
    tags: i === versions.length - 1 ? [versions[i] ?? "", "latest"] : [versions[i] ?? ""],
    node,
  }));
}

async function buildHarnessFixtures(base: Layer): Promise<HarnessFixture[]> {
  const data = await buildDataLayer("fixtures/single-oci:v1");
  const all = [LINUX_AMD64, LINUX_ARM64_V8, LINUX_ARM_V7];
  return [
    { name: "fixtures/multi-oci", tags: ["v1"], node: await buildMultiOciV1(base) },
    {
      name: "fixtures/multi-oci",
      tags: ["v2"],
      node: await buildMulti("oci", "fixtures/multi-oci:v2", all, base),
    },
    {
      name: "fixtures/multi-docker",
      tags: ["v1"],
      node: await buildMulti("docker", "fixtures/multi-docker:v1", [LINUX_AMD64, LINUX_ARM64], base),
    },
    {
      name: "fixtures/single-oci",
      tags: ["v1", "latest"],
      node: await buildApp("oci", "fixtures/single-oci:v1", LINUX_AMD64, base, [data]),
    },
    {
      name: "fixtures/single-docker",
      tags: ["v1"],
      node: await buildApp("docker", "fixtures/single-docker:v1", LINUX_AMD64, base),
    },
    ...(await buildTagsRepo(base)),
  ];
}

async function buildSkopeoFixtures(base: Layer): Promise<SkopeoFixture[]> {
  const multi = await buildMulti("oci", "skopeo/multi-oci:v1", [LINUX_AMD64, LINUX_ARM64_V8], base);
  const single = await buildApp("oci", "skopeo/converted:v1", LINUX_AMD64, base);
  return [
    { name: "skopeo/multi-oci", tag: "v1", layoutRef: "multi-oci", node: multi },
    { name: "skopeo/converted", tag: "v1", layoutRef: "converted", node: single, convertTo: "v2s2" },
  ];
}

/** Builds every fixture image in memory; the result is the same on every call. */
export async function buildFixtureGraph(): Promise<FixtureGraph> {
  const baseLayer = await buildBaseLayer();
  return {
    baseLayer,
    harness: await buildHarnessFixtures(baseLayer),
    skopeo: await buildSkopeoFixtures(baseLayer),
    signed: await buildSignedFixture(baseLayer),
  };
}
