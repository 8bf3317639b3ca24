/**
 * One repository of a registry, walked for its inventory: every tag, the
 * manifests they reach (index children the registry lacks, as in a sparse
 * index, are left out), the configs and layers those name, each confirmed
 * with HEAD, and the referrers (manifests naming a subject). Requests go
 * through one limiter shared by every repository of the run.
 */
import { isAirlockError } from "../errors.js";
import { parseManifest } from "../oci/manifest.js";
import type { Descriptor } from "../oci/types.js";
import type {
  InventoryBlob,
  InventoryManifest,
  InventoryReferrer,
  InventoryRepository,
  InventoryTag,
} from "../plan/inventory-types.js";
import type { RegistryClient } from "../registry/client.js";
import type { Limiter } from "../util/limiter.js";

export interface WalkContext {
  client: RegistryClient;
  limiter: Limiter;
  signal?: AbortSignal;
  /** Blobs a push journal recorded in this repository: confirmed with HEAD like the rest. */
  seeds?: readonly string[];
}

/** What a manifest's bytes say beyond its children. */
interface Walked {
  children: Descriptor[];
  blobs: Descriptor[];
  referrer?: InventoryReferrer;
}

/** The repository's inventory; undefined when the registry has no such repository. */
export async function walkRepository(
  name: string,
  ctx: WalkContext,
): Promise<InventoryRepository | undefined> {
  const { client, signal } = ctx;
  const run = <T>(task: () => Promise<T>): Promise<T> => ctx.limiter.run(task);
  const tagNames = await run(() => client.tagList(name, { signal })).catch(absentAs(undefined));
  if (tagNames === undefined) return undefined;
  const tags: InventoryTag[] = [];
  const manifests = new Map<string, InventoryManifest>();
  const blobs = new Map<string, Descriptor>();
  const referrers: InventoryReferrer[] = [];
  const visit = async (d: Descriptor): Promise<void> => {
    if (manifests.has(d.digest)) return;
    manifests.set(d.digest, { digest: d.digest, mediaType: d.mediaType, size: d.size });
    const got = await run(() => client.manifestGet(name, d.digest, { signal })).catch(absentAs(undefined));
    if (got === undefined) {
      manifests.delete(d.digest);
      return;
    }
    manifests.set(d.digest, { digest: got.digest, mediaType: got.mediaType, size: got.size });
    const walked = walkManifest(got.bytes, got.mediaType, `${client.registry}/${name}@${d.digest}`);
    if (walked.referrer !== undefined) referrers.push({ ...walked.referrer, digest: got.digest });
    for (const b of walked.blobs) if (!blobs.has(b.digest)) blobs.set(b.digest, b);
    await Promise.all(walked.children.map(visit));
  };
  await Promise.all(
    tagNames.map(async (tag) => {
      const head = await run(() => client.manifestHead(name, tag, { signal }));
      if (head === undefined) return;
      tags.push({ tag, digest: head.digest, mediaType: head.mediaType, size: head.size });
      await visit(head);
    }),
  );
  for (const seed of ctx.seeds ?? [])
    if (!blobs.has(seed)) blobs.set(seed, { mediaType: "", digest: seed, size: -1 });
  const present = await Promise.all(
    [...blobs.values()].map(async (b): Promise<InventoryBlob | undefined> => {
      const size = await run(() => client.blobHead(name, b.digest, { signal }));
      if (size === undefined || (b.size >= 0 && size !== b.size)) return undefined;
      return { digest: b.digest, size };
    }),
  );
  return {
    name,
    tags,
    manifests: [...manifests.values()],
    blobs: present.filter((b): b is InventoryBlob => b !== undefined),
    referrers,
  };
}

/** Children, blobs and subject of a manifest; one airlock cannot read (schema 1) has none. */
function walkManifest(bytes: Buffer, mediaType: string, where: string): Walked {
  let parsed;
  try {
    parsed = parseManifest(bytes, mediaType, where);
  } catch (err) {
    if (isAirlockError(err)) return { children: [], blobs: [] };
    throw err;
  }
  const body = parsed.kind === "index" ? parsed.index : parsed.manifest;
  const subject = body.subject?.digest;
  const artifactType =
    body.artifactType ?? (parsed.kind === "image" ? parsed.manifest.config.mediaType : undefined);
  const referrer =
    subject === undefined
      ? undefined
      : { subject, digest: "", ...(artifactType !== undefined ? { artifactType } : {}) };
  if (parsed.kind === "index")
    return { children: parsed.index.manifests, blobs: [], ...(referrer ? { referrer } : {}) };
  const { config, layers } = parsed.manifest;
  return { children: [], blobs: [config, ...layers], ...(referrer ? { referrer } : {}) };
}

/** A registry's "not found" as `value`; anything else is thrown on. */
function absentAs<T>(value: T): (err: unknown) => T {
  return (err) => {
    if (isAirlockError(err) && err.code === "ERR_NOT_FOUND") return value;
    throw err;
  };
}
