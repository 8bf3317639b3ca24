/**
 * Fixtures that skopeo pushes: written to an OCI image layout on disk, then
 * `skopeo copy oci:LAYOUT:REF docker://HOST/NAME:TAG`, so the registry holds
 * manifests (and for `--format v2s2`, bytes) that skopeo produced itself.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Descriptor } from "../../src/oci/types.js";
import { blobsOf, descriptorOf, type BuiltNode } from "./image-builder.js";
import type { SkopeoFixture } from "./fixture-images.js";
import type { TestRegistry } from "./registry.js";
import { runSkopeo } from "./tools.js";

/** One image in a layout's index.json under `org.opencontainers.image.ref.name`. */
export interface LayoutEntry {
  ref: string;
  node: BuiltNode;
}

/** Writes an OCI image layout (oci-layout, index.json, blobs/sha256/...) into `dir`. */
export async function writeOciLayout(dir: string, entries: LayoutEntry[]): Promise<void> {
  const blobDir = join(dir, "blobs", "sha256");
  await mkdir(blobDir, { recursive: true });
  for (const { node } of entries) {
    for (const blob of blobsOf(node)) {
      await writeFile(join(blobDir, blob.digest.slice("sha256:".length)), blob.bytes);
    }
  }
  const manifests: Descriptor[] = entries.map(({ ref, node }) =>
    descriptorOf(node.mediaType, node, { "org.opencontainers.image.ref.name": ref }),
  );
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests }));
}

/** `skopeo copy` of one fixture from the layout in `layoutDir` into the registry. */
export async function skopeoPush(
  registry: TestRegistry,
  layoutDir: string,
  fixture: SkopeoFixture,
): Promise<void> {
  const mode =
    fixture.convertTo === undefined ? ["--all", "--preserve-digests"] : ["--format", fixture.convertTo];
  await runSkopeo([
    "copy",
    "--quiet",
    ...mode,
    ...registry.skopeoDestFlags(),
    `oci:${layoutDir}:${fixture.layoutRef}`,
    `docker://${registry.host}/${fixture.name}:${fixture.tag}`,
  ]);
}
