/**
 * Builds tiny, real container images in memory, byte for byte the same on
 * every run: gzip tar layers made with tar-stream, image configs, OCI and
 * Docker schema2 manifests, OCI indexes and Docker manifest lists.
 *
 * Every JSON document is serialised once with JSON.stringify and the bytes are
 * kept, so each digest is the sha256 of exactly the bytes a registry is given.
 */
import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";
import { MediaType } from "../../src/oci/media-types.js";
import { sha256Digest } from "../../src/oci/digest.js";
import type { Descriptor, ImageConfig, ImageManifest, Index, Platform } from "../../src/oci/types.js";

/** Content addressed by the sha256 of its bytes. */
export interface Blob {
  digest: string;
  size: number;
  bytes: Buffer;
}

/** A gzip tar layer; `diffId` is the sha256 of the uncompressed tar. */
export interface Layer extends Blob {
  diffId: string;
}

/** "oci" writes OCI media types; "docker" writes Docker schema2 ones. */
export type ImageFormat = "oci" | "docker";

/** One image manifest with the blobs it references. */
export interface BuiltImage extends Blob {
  kind: "image";
  mediaType: string;
  platform: Platform;
  config: Blob;
  /** Layer blobs in manifest order, each with the media type its descriptor carries. */
  layers: (Blob & { mediaType: string })[];
  /** Annotations for this image's descriptor when an index lists it. */
  descriptorAnnotations?: Record<string, string>;
}

/** An OCI index or Docker manifest list with its child manifests. */
export interface BuiltIndex extends Blob {
  kind: "index";
  mediaType: string;
  children: BuiltImage[];
}

/** Whatever a tag can point at: one image or an index of them. */
export type BuiltNode = BuiltImage | BuiltIndex;

/** A file or directory inside a layer; directories end with "/". */
export interface LayerEntry {
  path: string;
  content?: string;
  /** Defaults: 0o755 for directories, 0o644 for files. */
  mode?: number;
}

/** What a config says beyond platform and layers. */
export interface ConfigOptions {
  env?: string[];
  cmd?: string[];
  labels?: Record<string, string>;
}

/** The fixed creation time written into configs and history. */
export const FIXED_CREATED = "2024-01-01T00:00:00Z";

const MEDIA_TYPES = {
  oci: {
    manifest: MediaType.OciManifest,
    index: MediaType.OciIndex,
    config: MediaType.OciConfig,
    layer: MediaType.OciLayerTarGzip,
  },
  docker: {
    manifest: MediaType.DockerManifest,
    index: MediaType.DockerManifestList,
    config: MediaType.DockerConfig,
    layer: MediaType.DockerLayerTarGzip,
  },
} as const;

/** Media types used for a format's manifests, configs and layers. */
export function mediaTypesOf(format: ImageFormat): (typeof MEDIA_TYPES)[ImageFormat] {
  return MEDIA_TYPES[format];
}

/** Wraps bytes as a content-addressed blob. */
export function toBlob(bytes: Buffer): Blob {
  return { digest: sha256Digest(bytes), size: bytes.length, bytes };
}

/** Serialises a JSON document once and keeps those bytes. */
export function jsonBlob(value: unknown): Blob {
  return toBlob(Buffer.from(JSON.stringify(value), "utf8"));
}

/** A tar of the entries (mtime 0, uid/gid 0), as written by tar-stream. */
export async function buildTar(entries: LayerEntry[]): Promise<Buffer> {
  const tar = pack();
  for (const entry of entries) {
    const isDir = entry.path.endsWith("/");
    const header = {
      name: entry.path,
      type: isDir ? ("directory" as const) : ("file" as const),
      mode: entry.mode ?? (isDir ? 0o755 : 0o644),
      mtime: new Date(0),
      uid: 0,
      gid: 0,
    };
    if (isDir) tar.entry(header);
    else tar.entry(header, Buffer.from(entry.content ?? "", "utf8"));
  }
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** A gzip tar layer; Node's gzip header carries mtime 0, so the bytes are stable. */
export async function buildLayer(entries: LayerEntry[]): Promise<Layer> {
  const tar = await buildTar(entries);
  const gz = gzipSync(tar, { level: 9 });
  return { ...toBlob(gz), diffId: sha256Digest(tar) };
}

/** An image config for the platform with one history entry per layer. */
export function buildConfig(platform: Platform, layers: Layer[], options: ConfigOptions = {}): Blob {
  const config: ImageConfig = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant === undefined ? {} : { variant: platform.variant }),
    created: FIXED_CREATED,
    config: {
      Env: options.env ?? ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      Cmd: options.cmd ?? ["/app/hello"],
      Labels: options.labels ?? {},
    },
    rootfs: { type: "layers", diff_ids: layers.map((layer) => layer.diffId) },
    history: layers.map((layer, i) => ({
      created: FIXED_CREATED,
      created_by: `airlock-fixture layer ${i} ${layer.diffId.slice(7, 19)}`,
    })),
  };
  return jsonBlob(config);
}

/** Builds the config and the manifest of one image in the given format. */
export function buildImage(
  format: ImageFormat,
  platform: Platform,
  layers: Layer[],
  options: ConfigOptions = {},
): BuiltImage {
  const types = mediaTypesOf(format);
  const config = buildConfig(platform, layers, options);
  const typedLayers = layers.map((layer) => ({ ...layer, mediaType: types.layer }));
  return buildManifest(types.manifest, platform, { ...config, mediaType: types.config }, typedLayers);
}

/** Serialises a manifest over an already built config and layers. */
export function buildManifest(
  mediaType: string,
  platform: Platform,
  config: Blob & { mediaType: string },
  layers: (Blob & { mediaType: string; annotations?: Record<string, string> })[],
): BuiltImage {
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType,
    config: descriptorOf(config.mediaType, config),
    layers: layers.map((layer) => descriptorOf(layer.mediaType, layer, layer.annotations)),
  };
  const blob = jsonBlob(manifest);
  return { kind: "image", mediaType, platform, config: toBlob(config.bytes), layers, ...blob };
}

/** An OCI index or a Docker manifest list with `platform` on each descriptor. */
export function buildIndex(format: ImageFormat, children: BuiltImage[]): BuiltIndex {
  const mediaType = mediaTypesOf(format).index;
  const index: Index = {
    schemaVersion: 2,
    mediaType,
    manifests: children.map((child) => ({
      ...descriptorOf(child.mediaType, child, child.descriptorAnnotations),
      platform: child.platform,
    })),
  };
  return { kind: "index", mediaType, children, ...jsonBlob(index) };
}

/** A descriptor for the blob; `annotations` only when given. */
export function descriptorOf(
  mediaType: string,
  blob: Blob,
  annotations?: Record<string, string>,
): Descriptor {
  const descriptor: Descriptor = { mediaType, digest: blob.digest, size: blob.size };
  if (annotations !== undefined) descriptor.annotations = annotations;
  return descriptor;
}

/** Media type of an in-toto statement layer in a buildx attestation manifest. */
export const IN_TOTO_MEDIA_TYPE = "application/vnd.in-toto+json";

/**
 * A buildx-style attestation manifest for `subject`: an OCI manifest whose one
 * layer is an in-toto provenance statement, listed in an index as
 * `unknown/unknown` with the `vnd.docker.reference.*` annotations.
 */
export function buildAttestation(subject: BuiltImage, subjectName: string): BuiltImage {
  const predicateType = "https://slsa.dev/provenance/v0.2";
  const statement = jsonBlob({
    _type: "https://in-toto.io/Statement/v0.1",
    predicateType,
    subject: [{ name: subjectName, digest: { sha256: subject.digest.slice("sha256:".length) } }],
    predicate: { builder: { id: "airlock-test-fixtures" }, buildType: "https://mobyproject.org/buildkit@v1" },
  });
  const platform: Platform = { architecture: "unknown", os: "unknown" };
  const config = jsonBlob({
    ...platform,
    config: {},
    rootfs: { type: "layers", diff_ids: [statement.digest] },
  });
  const layer = {
    ...statement,
    mediaType: IN_TOTO_MEDIA_TYPE,
    annotations: { "in-toto.io/predicate-type": predicateType },
  };
  const image = buildManifest(
    MediaType.OciManifest,
    platform,
    { ...config, mediaType: MediaType.OciConfig },
    [layer],
  );
  image.descriptorAnnotations = {
    "vnd.docker.reference.digest": subject.digest,
    "vnd.docker.reference.type": "attestation-manifest",
  };
  return image;
}

/** Every blob an image or index references, manifests included, each digest once. */
export function blobsOf(node: BuiltNode): Blob[] {
  const images = node.kind === "index" ? node.children : [node];
  const all: Blob[] = node.kind === "index" ? [node] : [];
  for (const image of images) all.push(image, image.config, ...image.layers);
  const byDigest = new Map(all.map((blob) => [blob.digest, toBlob(blob.bytes)]));
  return [...byDigest.values()];
}
