import type { BundleReader } from "../bundle/bundle-reader.js";
import { AirlockError, RegistryError } from "../errors.js";
import { sha256Digest } from "../oci/digest.js";
import type { Descriptor } from "../oci/types.js";
import type { RegistryClient } from "../registry/client.js";
import type { Limiter } from "../util/limiter.js";
import type { ImageGraph } from "./image-graph.js";
import type { PushJournal } from "./journal.js";
import { filteredIndex } from "./sparse.js";

const PUSH_MONOLITHIC_MAX = 1024 * 1024 * 1024;
const PUSH_CHUNK_SIZE = 32 * 1024 * 1024;

export type ExistingTagPolicy = "overwrite" | "skip" | "error";
export type SparseIndexPolicy = "filter" | "upstream";

export interface PushStats {
  uploaded: number;
  mounted: number;
  /** Blobs already in the target (by HEAD or the journal). */
  skipped: number;
  bytesUploaded: number;
  /** With dry-run: blobs and bytes that would be uploaded (mounted and skipped ones are counted above). */
  blobsToUpload: number;
  bytesToUpload: number;
  manifests: number;
  tags: number;
}

/** The push run's progress: each blob counted once, so every blob present is the whole. */
export interface BlobProgress {
  /** `n` more bytes of `blob` were sent (negative when an attempt started again). */
  sent(blob: Descriptor, n: number): void;
  /** `blob` is in the target: uploaded, mounted, already there (or, in a dry run, checked). */
  present(blob: Descriptor): void;
}

/** Everything one push run shares across images. */
export interface PushContext {
  client: RegistryClient;
  reader: BundleReader;
  journal: PushJournal;
  limiter: Limiter;
  /** Where each blob is known present (this run, or earlier runs by the journal), for cross-repository mounts. */
  filled: Map<string, string>;
  inflight: Map<string, Promise<void>>;
  /** The first transfer of each digest this run: later repositories wait for it, then mount. */
  firstCopy: Map<string, Promise<void>>;
  stats: PushStats;
  dryRun: boolean;
  onExistingTag: ExistingTagPolicy;
  sparseIndex: SparseIndexPolicy;
  signal?: AbortSignal;
  /** Told as a blob's bytes leave and once it is present, however it got there. */
  progress?: BlobProgress;
  /** Send blobs larger than this in PATCHes of this size (for proxies that cap request bodies). */
  chunkSize?: number;
}

export interface ImageOutcome {
  reference: string;
  repository: string;
  tag?: string;
  /** The digest the target now has for this image. */
  digest: string;
  status: "pushed" | "unchanged" | "skipped" | "filtered" | "would-push";
  /** Set when a sparse index was replaced by a filtered one. */
  note?: string;
}

/**
 * Pushes one image into `repository`, children before parents: blobs, then
 * platform manifests by digest, then the top manifest by digest, and only
 * then the tag. A failure anywhere leaves the tag untouched.
 */
export async function pushImage(
  ctx: PushContext,
  graph: ImageGraph,
  repository: string,
  tag: string | undefined,
): Promise<ImageOutcome> {
  const base = { reference: graph.reference, repository, ...(tag !== undefined ? { tag } : {}) };
  // By tag, or for a digest-only reference by its digest: either way, already there means nothing to do.
  const existing = await ctx.client.manifestHead(repository, tag ?? graph.top.descriptor.digest, {
    signal: ctx.signal,
  });
  if (existing !== undefined && sameImage(ctx, graph, existing.digest)) {
    return { ...base, digest: existing.digest, status: "unchanged" };
  }
  if (existing !== undefined && ctx.onExistingTag === "skip")
    return { ...base, digest: existing.digest, status: "skipped" };
  if (existing !== undefined && ctx.onExistingTag === "error") {
    throw new AirlockError(
      "ERR_USAGE",
      `${repository}:${tag ?? ""} already points at ${existing.digest}, not ${graph.top.descriptor.digest} (--on-existing-tag error)`,
    );
  }
  await Promise.all(graph.blobs.map((b) => ensureBlob(ctx, repository, b)));
  for (const child of graph.children) await ensureManifest(ctx, repository, child.descriptor, child.bytes);
  if (ctx.dryRun) return { ...base, digest: graph.top.descriptor.digest, status: "would-push" };
  const top = await pushTop(ctx, graph, repository);
  if (tag !== undefined) {
    await ctx.client.manifestPut(repository, tag, top.bytes, top.mediaType, { signal: ctx.signal });
    ctx.stats.tags++;
  }
  const status = top.digest === graph.top.descriptor.digest ? "pushed" : "filtered";
  return { ...base, digest: top.digest, status, ...(top.note !== undefined ? { note: top.note } : {}) };
}

/** True when the target already has this image: its upstream digest, or the filtered index an earlier push made of it. */
function sameImage(ctx: PushContext, graph: ImageGraph, digest: string): boolean {
  if (digest === graph.top.descriptor.digest) return true;
  if (graph.children.length === 0 || ctx.sparseIndex !== "filter") return false;
  return digest === sha256Digest(filteredIndex(graph.top.bytes, (d) => ctx.reader.has(d)));
}

/** Puts the top manifest by digest; a refused sparse index becomes a filtered one if allowed. */
async function pushTop(
  ctx: PushContext,
  graph: ImageGraph,
  repository: string,
): Promise<{ bytes: Buffer; mediaType: string; digest: string; note?: string }> {
  const { descriptor, bytes } = graph.top;
  try {
    await ensureManifest(ctx, repository, descriptor, bytes);
    return { bytes, mediaType: descriptor.mediaType, digest: descriptor.digest };
  } catch (err) {
    const missing = missingChildren(err, graph);
    if (missing.length === 0) throw err;
    if (ctx.sparseIndex === "upstream") {
      throw new AirlockError(
        "ERR_REGISTRY",
        `${graph.reference}: the registry refuses the sparse index ${descriptor.digest} (it lacks ${missing.length} platform manifests the bundle does not carry); push with --sparse-index filter, or bundle every platform`,
        { cause: err },
      );
    }
    const filtered = filteredIndex(bytes, (d) => ctx.reader.has(d));
    const digest = sha256Digest(filtered);
    await ensureManifest(
      ctx,
      repository,
      { mediaType: descriptor.mediaType, digest, size: filtered.length },
      filtered,
    );
    const note = `the registry refused the sparse upstream index ${descriptor.digest}; pushed an index of the carried platforms, ${digest}`;
    return { bytes: filtered, mediaType: descriptor.mediaType, digest, note };
  }
}

/** Children named in a MANIFEST_BLOB_UNKNOWN refusal that the bundle does not hold. */
function missingChildren(err: unknown, graph: ImageGraph): string[] {
  if (!(err instanceof RegistryError)) return [];
  const unknown = err.details.filter((d) => d.code === "MANIFEST_BLOB_UNKNOWN");
  const carried = new Set(graph.children.map((c) => c.descriptor.digest));
  return unknown.length > 0 && graph.children.length > 0
    ? (JSON.parse(graph.top.bytes.toString("utf8")) as { manifests: Descriptor[] }).manifests
        .map((m) => m.digest)
        .filter((d) => !carried.has(d))
    : [];
}

async function ensureManifest(
  ctx: PushContext,
  repository: string,
  d: Descriptor,
  bytes: Buffer,
): Promise<void> {
  if (ctx.dryRun) return;
  await ctx.client.manifestPut(repository, d.digest, bytes, d.mediaType, { signal: ctx.signal });
  ctx.stats.manifests++;
}

/**
 * Makes a blob present in `repository`: HEAD, mount from a repository known
 * to hold it, or upload. The largest blobs go first (the run's tail is then
 * small ones, not one long upload), and a blob already on its way into
 * another repository is waited for and mounted, so it crosses the wire once.
 */
function ensureBlob(ctx: PushContext, repository: string, blob: Descriptor): Promise<void> {
  const key = `${repository}@${blob.digest}`;
  let pending = ctx.inflight.get(key);
  if (pending === undefined) {
    const transfer = (): Promise<void> =>
      ctx.limiter.run(() => transferBlob(ctx, repository, blob), blob.size);
    const first = ctx.firstCopy.get(blob.digest);
    pending = first === undefined ? transfer() : first.catch(() => undefined).then(transfer);
    if (first === undefined) ctx.firstCopy.set(blob.digest, pending);
    ctx.inflight.set(key, pending);
  }
  return pending;
}

async function transferBlob(ctx: PushContext, repository: string, blob: Descriptor): Promise<void> {
  const { client, signal } = ctx;
  const from = ctx.filled.get(blob.digest);
  if (ctx.dryRun) return await dryRunBlob(ctx, repository, blob, from);
  const mounted =
    from !== undefined &&
    from !== repository &&
    (await client.blobMount(repository, blob.digest, from, { signal }));
  if (mounted) ctx.stats.mounted++;
  else await uploadBlob(ctx, repository, blob);
  await ctx.journal.record(repository, blob.digest);
  ctx.filled.set(blob.digest, repository);
  ctx.progress?.present(blob);
}

/**
 * What the push would do with a blob, by HEADs alone: mount it where this run or the journal
 * knows it (as the push does, before any HEAD), else skip it when present, else upload it.
 * Later repositories then see it as filled, so the counts and bytes are the push's own.
 */
async function dryRunBlob(
  ctx: PushContext,
  repository: string,
  blob: Descriptor,
  from: string | undefined,
): Promise<void> {
  if (from !== undefined && from !== repository) {
    ctx.stats.mounted++;
  } else if ((await ctx.client.blobHead(repository, blob.digest, { signal: ctx.signal })) === blob.size) {
    ctx.stats.skipped++;
  } else {
    ctx.stats.blobsToUpload++;
    ctx.stats.bytesToUpload += blob.size;
  }
  ctx.filled.set(blob.digest, repository);
  ctx.progress?.present(blob);
}

/** Uploads from the bundle by offset (HEAD first inside blobUpload), counting what was sent. */
async function uploadBlob(ctx: PushContext, repository: string, blob: Descriptor): Promise<void> {
  let sent = 0;
  // blobUpload verifies size and sha256 as the bytes leave, so the tar is read unverified here.
  const result = await ctx.client.blobUpload(repository, blob, () => ctx.reader.fetchUnverified(blob), {
    signal: ctx.signal,
    // The bundle can be reread from any point at no cost, so one streamed PUT (no buffer, one
    // round trip) is best up to 1 GiB; a failed one is simply sent again from the tar.
    monolithicMax: ctx.chunkSize ?? PUSH_MONOLITHIC_MAX,
    chunkSize: ctx.chunkSize ?? PUSH_CHUNK_SIZE,
    openVerified: (onBytes) => ctx.reader.openRange(blob, onBytes),
    onProgress: (bytes) => {
      ctx.progress?.sent(blob, bytes - sent);
      sent = bytes;
    },
  });
  if (result === "exists") {
    ctx.stats.skipped++;
  } else {
    ctx.stats.uploaded++;
    ctx.stats.bytesUploaded += blob.size;
  }
}
