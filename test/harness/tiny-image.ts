/**
 * The smallest honest OCI image, written as an image layout by hand: one
 * config and one layer that is a gzipped empty tar. Enough for skopeo to copy
 * it into a registry without Docker or umoci.
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export interface TinyImage {
  layoutDir: string;
  tag: string;
  /** The manifest's exact bytes, as pushed. */
  manifest: Buffer;
  manifestDigest: string;
}

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";

/** Writes an OCI layout with a single linux/amd64 image tagged `tag` into `layoutDir`. */
export async function writeTinyOciLayout(layoutDir: string, tag = "v1"): Promise<TinyImage> {
  await mkdir(join(layoutDir, "blobs", "sha256"), { recursive: true });
  const emptyTar = Buffer.alloc(1024); // two zero blocks: the end-of-archive marker
  const layer = await writeBlob(layoutDir, OCI_LAYER_GZIP, gzipSync(emptyTar));
  const config = await writeBlob(layoutDir, OCI_CONFIG, jsonBytes(imageConfig(sha256(emptyTar))));
  const manifestBytes = jsonBytes({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] });
  const manifest = await writeBlob(layoutDir, OCI_MANIFEST, manifestBytes);
  const annotated = { ...manifest, annotations: { "org.opencontainers.image.ref.name": tag } };
  await writeFile(join(layoutDir, "oci-layout"), jsonBytes({ imageLayoutVersion: "1.0.0" }));
  await writeFile(join(layoutDir, "index.json"), jsonBytes({ schemaVersion: 2, manifests: [annotated] }));
  return { layoutDir, tag, manifest: manifestBytes, manifestDigest: manifest.digest };
}

function imageConfig(diffId: string): object {
  return {
    architecture: "amd64",
    os: "linux",
    config: {},
    rootfs: { type: "layers", diff_ids: [diffId] },
  };
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

async function writeBlob(layoutDir: string, mediaType: string, bytes: Buffer): Promise<Descriptor> {
  const digest = sha256(bytes);
  await writeFile(join(layoutDir, "blobs", "sha256", digest.slice("sha256:".length)), bytes);
  return { mediaType, digest, size: bytes.length };
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}
