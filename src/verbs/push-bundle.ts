import { BundleReader } from "../bundle/bundle-reader.js";
import { targetRepository, targetTag } from "../bundle/target-name.js";
import { AirlockError, isAirlockError, messageOf } from "../errors.js";
import { parseRegistry } from "../ref/reference.js";
import { connectRegistry } from "../registry/connect.js";
import { imageGraph, type ImageGraph } from "../seed/image-graph.js";
import { PushJournal, defaultJournalPath } from "../seed/journal.js";
import { loadMapping, mapRepository, type MappingRule } from "../seed/mapping.js";
import {
  pushImage,
  type BlobProgress,
  type ExistingTagPolicy,
  type ImageOutcome,
  type PushContext,
  type PushStats,
  type SparseIndexPolicy,
} from "../seed/push-image.js";
import { BlobTally } from "../util/blob-tally.js";
import { Limiter } from "../util/limiter.js";
import { mapSettled } from "../util/pool.js";
import { reachedTotal, throttleEvents } from "../util/throttle.js";
import type { RemoteOptions } from "./options.js";

export interface PushBundleOptions extends RemoteOptions {
  /** REGISTRY[/PREFIX]: where the images go. */
  to: string;
  /** Keep the source host as the first path component (docker.io/library/x → PREFIX/docker.io/library/x). */
  keepHost?: boolean;
  /** A mapping file of {from, to} repository rules, applied before the default naming. */
  mappingFile?: string;
  onExistingTag?: ExistingTagPolicy;
  /** What to do when the registry refuses a sparse index: push one of the carried platforms ("filter", default) or fail ("upstream"). */
  sparseIndex?: SparseIndexPolicy;
  /** Blob transfers (and images) in flight; default 8. */
  concurrency?: number;
  /** Send blobs larger than this in PATCHes of this size; default: one streamed PUT up to 1 GiB. */
  chunkSize?: number;
  /** Report what would be pushed without writing anything. */
  dryRun?: boolean;
  /** The push journal; default under $XDG_STATE_HOME/airlock/push/. */
  journalFile?: string;
  onEvent?: (event: PushEvent) => void;
}

/**
 * What a push tells as it goes. `bytes` counts, over all the bundles, the
 * bytes of every blob and manifest that is now in the target: as uploads
 * send them, and in full once a blob is mounted, found already there, or its
 * image is unchanged. It reaches `bytesTotal` when every image is pushed.
 * At most ten `bytes` events a second; the others come as they happen.
 */
export type PushEvent =
  | { type: "bundle"; file: string; images: number; bytes: number }
  | { type: "bytes"; bytesDone: number; bytesTotal: number }
  | { type: "image"; outcome: ImageOutcome };

export interface PushBundleResult {
  images: ImageOutcome[];
  failures: { reference: string; code: string; message: string }[];
  stats: PushStats;
  /** The push journal used. */
  journals: string[];
}

/**
 * Pushes bundles into a registry: blobs read straight from the tar by offset
 * and verified as they leave; per image children before parents and the tag
 * last; what is already there is skipped, what another repository of this
 * run holds is mounted; a journal lets a re-run resume. Every bundle is
 * indexed first, so a damaged tar (ERR_BUNDLE_CORRUPT) is thrown before
 * anything is pushed. Every image is attempted; failures are returned, not
 * thrown.
 */
export async function pushBundle(files: string[], options: PushBundleOptions): Promise<PushBundleResult> {
  const { registry, prefix } = parseTarget(options.to);
  const rules = options.mappingFile === undefined ? [] : await loadMapping(options.mappingFile);
  // Every bundle is indexed (its tar checked) before anything is pushed: a damaged one stops the run.
  const readers: BundleReader[] = [];
  for (const file of files) readers.push(await BundleReader.open(file, { signal: options.signal }));
  const events = throttleEvents(options.onEvent, {
    frequent: (e) => e.type === "bytes",
    final: reachedTotal,
  });
  options = { ...options, onEvent: events.emit };
  const tally = new BlobTally(
    readers.reduce((n, r) => n + bundleBytes(r), 0),
    (bytesDone, bytesTotal) => events.emit({ type: "bytes", bytesDone, bytesTotal }),
  );
  const client = await connectRegistry(registry, options);
  const stats: PushStats = {
    uploaded: 0,
    mounted: 0,
    skipped: 0,
    bytesUploaded: 0,
    blobsToUpload: 0,
    bytesToUpload: 0,
    manifests: 0,
    tags: 0,
  };
  const result: PushBundleResult = { images: [], failures: [], stats, journals: [] };
  const journalFile = options.journalFile ?? defaultJournalPath(`${registry}/${prefix ?? ""}`, options.env);
  const journal = await PushJournal.open(journalFile);
  result.journals.push(journalFile);
  const filled = journal.locations();
  try {
    for (const [i, reader] of readers.entries()) {
      const ctx: PushContext = {
        client,
        reader,
        journal,
        limiter: new Limiter(options.concurrency ?? 8),
        filled,
        inflight: new Map(),
        firstCopy: new Map(),
        stats,
        dryRun: options.dryRun === true,
        onExistingTag: options.onExistingTag ?? "overwrite",
        sparseIndex: options.sparseIndex ?? "filter",
        signal: options.signal,
        progress: bundleProgress(tally, i),
        ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
      };
      await pushOne(ctx, reader, { prefix, keepHost: options.keepHost, rules }, result, options);
    }
  } finally {
    events.flush();
    await client.close();
  }
  return result;
}

/** Bytes of every blob and manifest a bundle holds. */
function bundleBytes(reader: BundleReader): number {
  return [...reader.index.blobs.values()].reduce((n, b) => n + b.size, 0);
}

/** One bundle's share of the run's tally: a blob counts once per bundle, as each bundle's total has it. */
function bundleProgress(tally: BlobTally, bundle: number): BlobProgress {
  const key = (digest: string): string => `${bundle}:${digest}`;
  return {
    sent: (blob, n) => tally.streamed(key(blob.digest), n),
    present: (blob) => tally.present(key(blob.digest), blob.size),
  };
}

/** Done with an image, however it ended (pushed, unchanged, skipped): everything it reaches is there. */
function imagePresent(progress: BlobProgress | undefined, g: ImageGraph): void {
  for (const d of [...g.blobs, ...g.children.map((c) => c.descriptor), g.top.descriptor])
    progress?.present(d);
}

async function pushOne(
  ctx: PushContext,
  reader: BundleReader,
  naming: { prefix?: string; keepHost?: boolean; rules: MappingRule[] },
  result: PushBundleResult,
  options: PushBundleOptions,
): Promise<void> {
  const refs = reader.refs();
  options.onEvent?.({ type: "bundle", file: reader.file, images: refs.length, bytes: bundleBytes(reader) });
  // Images mostly wait on their blobs, which the shared limiter bounds and orders largest first;
  // more images in flight than blob slots lets it see (and start) the large ones early.
  const outcomes = await mapSettled(refs, 4 * (options.concurrency ?? 8), async (ref) => {
    const repository =
      mapRepository(ref.reference, naming.rules) ??
      targetRepository(ref.reference, { prefix: naming.prefix, keepHost: naming.keepHost });
    const graph = await imageGraph(reader, ref.reference, ref.descriptor);
    const outcome = await pushImage(ctx, graph, repository, targetTag(ref.reference));
    imagePresent(ctx.progress, graph);
    options.onEvent?.({ type: "image", outcome });
    return outcome;
  });
  // Ctrl-C ends the run: the images it cut short did not fail each on their own.
  if (options.signal?.aborted === true) {
    throw new AirlockError("ERR_ABORTED", "push interrupted", { cause: options.signal.reason });
  }
  outcomes.forEach((o, i) => {
    if (o.status === "fulfilled") result.images.push(o.value);
    else {
      if (!isAirlockError(o.reason)) throw o.reason;
      result.failures.push({
        reference: refs[i]?.reference ?? "",
        code: o.reason.code,
        message: messageOf(o.reason),
      });
    }
  });
}

/** "host[:port][/prefix/path]". */
function parseTarget(to: string): { registry: string; prefix?: string } {
  const slash = to.indexOf("/");
  const registry = parseRegistry(slash < 0 ? to : to.slice(0, slash));
  const prefix = slash < 0 ? undefined : to.slice(slash + 1).replace(/\/+$/, "");
  if (
    prefix !== undefined &&
    !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(prefix)
  ) {
    throw new AirlockError(
      "ERR_USAGE",
      `--to ${to}: "${prefix}" is not a valid repository path prefix (lowercase, / separated)`,
    );
  }
  return prefix === undefined || prefix === "" ? { registry } : { registry, prefix };
}
