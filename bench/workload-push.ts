// Pushes a generated workload into a registry with airlock's own client: each distinct blob
// uploaded once (into the first repository that uses it) and mounted into the others, then per
// tag the platform manifests by digest and the top manifest by tag. Also describes what was
// pushed, for the bench: the references, and every distinct blob and manifest with a repository
// that holds it (the floor client's list).
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { connectRegistry } from "../src/registry/connect.js";
import type { RegistryClient } from "../src/registry/client.js";
import { mapSettled } from "../src/util/pool.js";
import type { GeneratedWorkload, TagContent } from "./medium.js";

/** Something the registry stores, where it can be fetched. */
export interface StoredContent {
  repository: string;
  digest: string;
  size: number;
  /** A manifest's media type (fetched from /manifests/); absent for a blob. */
  manifest?: string;
}

/** What the bench knows of a pushed workload; kept as JSON in the workload cache. */
export interface WorkloadRecord {
  /** "repository:tag" of each reference, without the registry. */
  references: string[];
  /** Platform images across the references. */
  images: number;
  /** Each distinct blob and manifest once. */
  contents: StoredContent[];
  /** Their bytes. */
  uniqueBytes: number;
}

/** A blob to push and how to read it. */
interface BlobToPush {
  digest: string;
  size: number;
  open: () => Readable;
}

/** The blobs (configs and layers) each repository needs, each digest once per repository. */
function blobsByRepository(workload: GeneratedWorkload): Map<string, Map<string, BlobToPush>> {
  const repos = new Map<string, Map<string, BlobToPush>>();
  for (const { repository, images } of workload.tags) {
    const blobs = repos.get(repository) ?? new Map<string, BlobToPush>();
    repos.set(repository, blobs);
    for (const { config, layers } of images) {
      blobs.set(config.digest, { ...config, open: () => Readable.from([config.bytes]) });
      for (const layer of layers) {
        const file = workload.layerFiles.get(layer.digest);
        if (file === undefined) throw new Error(`no file for layer ${layer.digest}`);
        blobs.set(layer.digest, { ...layer, open: () => createReadStream(file) });
      }
    }
  }
  return repos;
}

/** Pushes every tag of `workload` into the plain-HTTP registry at `host`. */
export async function pushWorkload(host: string, workload: GeneratedWorkload): Promise<void> {
  const client = await connectRegistry(host, {});
  try {
    const repos = blobsByRepository(workload);
    const home = new Map<string, string>();
    const first: [string, BlobToPush][] = [];
    const others: [string, BlobToPush][] = [];
    for (const [repository, blobs] of repos) {
      for (const blob of blobs.values()) {
        if (home.has(blob.digest)) {
          others.push([repository, blob]);
        } else {
          home.set(blob.digest, repository);
          first.push([repository, blob]);
        }
      }
    }
    await settle(first, 4, ([repository, blob]) => client.blobUpload(repository, blob, blob.open));
    await settle(others, 8, async ([repository, blob]) => {
      const from = home.get(blob.digest) ?? repository;
      if (!(await client.blobMount(repository, blob.digest, from))) {
        await client.blobUpload(repository, blob, blob.open);
      }
    });
    await settle(workload.tags, 4, (tag) => pushManifests(client, tag));
  } finally {
    await client.close();
  }
}

async function pushManifests(client: RegistryClient, tag: TagContent): Promise<void> {
  for (const { manifest } of tag.images) {
    if (manifest.digest !== tag.top.digest) {
      await client.manifestPut(tag.repository, manifest.digest, manifest.bytes, manifest.mediaType);
    }
  }
  await client.manifestPut(tag.repository, tag.tag, tag.top.bytes, tag.top.mediaType);
}

/** mapSettled that throws the first failure. */
async function settle<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  for (const result of await mapSettled(items, limit, fn)) {
    if (result.status === "rejected") throw result.reason;
  }
}

/** The bench's record of `workload`: references, image count, distinct contents and their bytes. */
export function describeWorkload(workload: GeneratedWorkload): WorkloadRecord {
  const contents = new Map<string, StoredContent>();
  const add = (repository: string, item: { digest: string; size: number }, manifest?: string): void => {
    if (contents.has(item.digest)) return;
    contents.set(item.digest, {
      repository,
      digest: item.digest,
      size: item.size,
      ...(manifest && { manifest }),
    });
  };
  let images = 0;
  for (const tag of workload.tags) {
    add(tag.repository, tag.top, tag.top.mediaType);
    for (const image of tag.images) {
      images++;
      add(tag.repository, image.manifest, image.manifest.mediaType);
      add(tag.repository, image.config);
      for (const layer of image.layers) add(tag.repository, layer);
    }
  }
  const all = [...contents.values()];
  return {
    references: workload.tags.map((t) => `${t.repository}:${t.tag}`),
    images,
    contents: all,
    uniqueBytes: all.reduce((n, c) => n + c.size, 0),
  };
}
