// The medium workload of the bench: about 40 references × 3 platforms with
// about 1.3 GB of unique blobs, base layers shared heavily, pushed into a
// local registry with airlock's own client. Layer bytes are random (the
// registry and the tools under test never decompress them).
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { MediaType } from "../src/oci/media-types.js";
import type { Platform } from "../src/oci/types.js";
import { connectRegistry } from "../src/registry/connect.js";
import type { RegistryClient } from "../src/registry/client.js";
import { mapSettled } from "../src/util/pool.js";
import {
  buildIndex,
  buildManifest,
  jsonBlob,
  toBlob,
  type Blob,
  type BuiltImage,
} from "../test/harness/image-builder.js";

const PLATFORMS: Platform[] = [
  { os: "linux", architecture: "amd64" },
  { os: "linux", architecture: "arm64" },
  { os: "linux", architecture: "arm", variant: "v7" },
];

export interface Workload {
  references: string[];
  uniqueBytes: number;
}

/** Random "layer" bytes of a size. */
function layer(size: number): Blob & { mediaType: string } {
  return { ...toBlob(randomBytes(size)), mediaType: MediaType.OciLayerTarGzip };
}

/**
 * Pushes `refs` images (3 platforms each) into `host`: each platform's image
 * has one of `bases` shared base layers (`baseMiB` each) and its own app
 * layer (`appMiB`). Returns the references and the unique bytes.
 */
export async function pushWorkload(
  host: string,
  shape: { refs: number; bases: number; baseMiB: number; appMiB: number },
): Promise<Workload> {
  const client = await connectRegistry(host, {});
  let uniqueBytes = 0;
  const bases = PLATFORMS.map(() =>
    Array.from({ length: shape.bases }, () => layer(shape.baseMiB * 1024 * 1024)),
  );
  for (const b of bases.flat()) uniqueBytes += b.size;
  try {
    const results = await mapSettled(
      Array.from({ length: shape.refs }, (_, i) => i),
      4,
      async (i) => {
        const repo = `bench/app-${i % 10}`;
        const children = PLATFORMS.map((platform, p) => {
          const base = bases[p]?.[i % shape.bases];
          if (base === undefined) throw new Error("unreachable");
          const app = layer(shape.appMiB * 1024 * 1024);
          uniqueBytes += app.size;
          const config = {
            ...jsonBlob({
              ...platform,
              rootfs: { type: "layers", diff_ids: [] },
              config: { Env: [`N=${i}`] },
            }),
            mediaType: MediaType.OciConfig,
          };
          return buildManifest(MediaType.OciManifest, platform, config, [base, app]);
        });
        const index = buildIndex("oci", children);
        await pushImages(client, repo, children);
        for (const child of children)
          await client.manifestPut(repo, child.digest, child.bytes, child.mediaType);
        await client.manifestPut(repo, `v${i}`, index.bytes, index.mediaType);
        return `${host}/${repo}:v${i}`;
      },
    );
    const references = results.map((r) => {
      if (r.status === "rejected") throw r.reason;
      return r.value;
    });
    return { references, uniqueBytes };
  } finally {
    await client.close();
  }
}

async function pushImages(client: RegistryClient, repo: string, images: BuiltImage[]): Promise<void> {
  for (const image of images) {
    for (const blob of [image.config, ...image.layers]) {
      await client.blobUpload(repo, blob, () => Readable.from([blob.bytes]));
    }
  }
}
