import { AirlockError, isAirlockError, messageOf } from "../errors.js";
import { loadMapping } from "../imagelist/mapping-file.js";
import { parseRegistryTarget, targetName, type TargetNaming } from "../ref/target-name.js";
import { connectRegistry } from "../registry/connect.js";
import { BundleSource } from "../store/bundle-store.js";
import {
  copyGraph,
  tallyProgress,
  type CopyGraphResult,
  type ExistingTagPolicy,
  type SparseIndexPolicy,
} from "../store/copy-graph.js";
import { planCopy } from "../store/copy-plan.js";
import { CopySession, type BlobProgress, type CopyStats } from "../store/copy-session.js";
import { PushJournal, defaultJournalPath } from "../store/push-journal.js";
import { RegistryStore } from "../store/registry-store.js";
import { BlobTally } from "../util/blob-tally.js";
import { reachedTotal, throttleEvents } from "../util/throttle.js";
import type { RegistryClient } from "../registry/client.js";
import type { RemoteOptions } from "./options.js";
import { hostPlatform } from "./resolve.js";
import { mapWithSecondPass } from "./second-pass.js";
import { digestChanges, digestMapBeside, writeDigestMap, type DigestChange } from "./digest-map.js";
import { pushAttached, type AttachedOutcome } from "./push-attached.js";
import { isDeltaBundle } from "../bundle/delta-marker.js";
import type { DeltaCheck } from "./delta-check.js";

export type { ExistingTagPolicy, SparseIndexPolicy } from "../store/copy-graph.js";
export type { DigestChange } from "./digest-map.js";
/** What a push did (or, in a dry run, would do) with blobs, manifests and tags. */
export type PushStats = CopyStats;

/** The bundle is read at no cost from any offset, so one streamed PUT (no buffer, one round trip) is best up to 1 GiB. */
const PUSH_MONOLITHIC_MAX = 1024 * 1024 * 1024;
const PUSH_CHUNK_SIZE = 32 * 1024 * 1024;
import { withLinkedSignal } from "../util/linked-signal.js";
import type { SignaturePolicy } from "../signature/types.js";
import { requireBundleSignatures } from "./require-signatures.js";

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
  /** Where the digest map goes (merged with what it holds); default beside the journal (`<journal>.digests`). */
  digestMapFile?: string;
  onEvent?: (event: PushEvent) => void;
  /** Refuse to push anything unless each bundled image's signature, read from the bundle, satisfies this policy. */
  requireSignatures?: SignaturePolicy;
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
  | { type: "image"; outcome: ImageOutcome }
  /** Images that failed for a retryable cause get a second pass at the end of the run. */
  | { type: "retry"; images: number };

export interface PushBundleResult {
  images: ImageOutcome[];
  failures: { reference: string; code: string; message: string }[];
  stats: PushStats;
  /** The push journal used. */
  journals: string[];
  /** Images that failed for a retryable cause and were tried again at the end of the run. */
  retried: number;
  /** Images whose top digest at the site is not the upstream one (a refused sparse index): upstream → site. */
  digestMap: DigestChange[];
  /** The sed script the digest map was merged into; absent in a dry run. */
  digestMapFile?: string;
  /** The registry's base URL as the push reached it ("http://127.0.0.1:5000"); absent when it never answered. */
  registryUrl?: string;
}

export interface ImageOutcome {
  reference: string;
  repository: string;
  tag?: string;
  /** The digest the target now has for this image. */
  digest: string;
  /** The top manifest's upstream digest, as the bundle carries it. */
  upstreamDigest: string;
  status: "pushed" | "unchanged" | "skipped" | "filtered" | "would-push";
  /** Set when a sparse index was replaced by a filtered one. */
  note?: string;
  /** What was pushed attached to the image (cosign's tags, referrers), after it; omitted when nothing is. */
  attached?: AttachedOutcome[];
}

/**
 * Pushes bundles into a registry: each bundled image is copied by the one
 * graph copy from the bundle (blobs read straight from the tar by offset and
 * verified as they leave) into its repository, children before parents and
 * the tag last; what is already there is skipped, what another repository
 * of this run holds is mounted; a journal lets a re-run resume. Every bundle
 * is indexed first, so a damaged tar (ERR_BUNDLE_CORRUPT) is thrown before
 * anything is pushed. Every image is attempted; failures are returned, not
 * thrown.
 */
export async function pushBundle(files: string[], options: PushBundleOptions): Promise<PushBundleResult> {
  const events = throttleEvents(options.onEvent, {
    frequent: (e) => e.type === "bytes",
    final: reachedTotal,
  });
  try {
    return await withLinkedSignal({ ...options, onEvent: events.emit }, (linked) => runPush(files, linked));
  } finally {
    events.flush();
  }
}

async function runPush(files: string[], options: PushBundleOptions): Promise<PushBundleResult> {
  const { registry, prefix } = parseRegistryTarget(options.to, "--to");
  const naming: TargetNaming = {
    prefix,
    keepHost: options.keepHost,
    rules: options.mappingFile === undefined ? [] : await loadMapping(options.mappingFile),
  };
  // Every bundle is indexed (its tar checked) before anything is pushed: a damaged one stops the run.
  const sources: BundleSource[] = [];
  for (const file of files) sources.push(await BundleSource.open(file, undefined, options.signal));
  await requireBundleSignatures(sources, options.requireSignatures, options.signal);
  const client = await connectRegistry(registry, options);
  const journalFile = options.journalFile ?? defaultJournalPath(`${registry}/${prefix}`, options.env);
  const journal = await PushJournal.open(journalFile);
  const session = new CopySession({
    concurrency: options.concurrency ?? 8,
    dryRun: options.dryRun,
    signal: options.signal,
    journal: { registry: client.registry, journal },
    monolithicMax: options.chunkSize ?? PUSH_MONOLITHIC_MAX,
    chunkSize: options.chunkSize ?? PUSH_CHUNK_SIZE,
  });
  const result: PushBundleResult = {
    images: [],
    failures: [],
    stats: session.stats,
    journals: [journalFile],
    retried: 0,
    digestMap: [],
  };
  const tally = new BlobTally(
    sources.reduce((n, s) => n + bundleBytes(s), 0),
    (bytesDone, bytesTotal) => options.onEvent?.({ type: "bytes", bytesDone, bytesTotal }),
  );
  try {
    // A delta's left-out blobs must be in the target before anything is written.
    await checkDeltas(sources, { client, session, naming, journal: journal.locations(), options });
    for (const [i, source] of sources.entries()) {
      // A blob counts once per bundle, as each bundle's total has it.
      const progress = tallyProgress(tally, (digest) => `${i}:${digest}`);
      await pushOne({ session, client, source, naming, result, options, progress });
    }
    if (result.images.length > 0) result.registryUrl = await client.origin({ signal: options.signal });
    result.digestMap = digestChanges(result.images);
    if (options.dryRun !== true) {
      result.digestMapFile = options.digestMapFile ?? digestMapBeside(journalFile);
      await writeDigestMap(result.digestMapFile, result.digestMap);
    }
  } finally {
    result.stats.retries = client.stats.retries;
    await client.close();
  }
  return result;
}

/** Every delta among the bundles checked against the target (a bundle pushed earlier in the run counts as there). */
async function checkDeltas(
  sources: BundleSource[],
  run: Pick<DeltaCheck, "client" | "session" | "naming" | "journal"> & { options: PushBundleOptions },
): Promise<void> {
  const { options, ...shared } = run;
  if (!sources.some((s) => isDeltaBundle(s.reader))) return;
  // Only a delta loads the marker's schema check.
  const { checkDeltaTarget, deltaMarkerOf } = await import("./delta-check.js");
  for (const [i, source] of sources.entries()) {
    const marker = deltaMarkerOf(source);
    if (marker === undefined) continue;
    const earlier = sources.slice(0, i);
    const concurrency = 2 * (options.concurrency ?? 8);
    await checkDeltaTarget({ ...shared, source, marker, earlier, concurrency, signal: options.signal });
  }
}

interface PushRun {
  session: CopySession;
  client: RegistryClient;
  source: BundleSource;
  naming: TargetNaming;
  result: PushBundleResult;
  options: PushBundleOptions;
  progress: BlobProgress;
}

/** Bytes of every blob and manifest a bundle holds. */
function bundleBytes(source: BundleSource): number {
  return [...source.reader.index.blobs.values()].reduce((n, b) => n + b.size, 0);
}

async function pushOne(run: PushRun): Promise<void> {
  const { source, options, result } = run;
  const refs = source.reader.refs();
  const bytes = bundleBytes(source);
  options.onEvent?.({ type: "bundle", file: source.reader.file, images: refs.length, bytes });
  // Images mostly wait on their blobs, which the session's limiter bounds and orders largest first;
  // more images in flight than blob slots lets it see (and start) the large ones early.
  const push = async (ref: (typeof refs)[number]): Promise<ImageOutcome> => {
    const outcome = await pushImage(run, ref.reference, ref.descriptor);
    options.onEvent?.({ type: "image", outcome });
    return outcome;
  };
  const { results: outcomes, retried } = await mapWithSecondPass(refs, 4 * (options.concurrency ?? 8), push, {
    signal: options.signal,
    onRetry: (images) => options.onEvent?.({ type: "retry", images }),
  });
  result.retried += retried;
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

/** One bundled image into its repository: every child the bundle carries, the index byte for byte. */
async function pushImage(
  run: PushRun,
  reference: string,
  top: { mediaType: string; digest: string; size: number },
): Promise<ImageOutcome> {
  const { source, options } = run;
  const { repository, tag } = targetName(reference, run.naming);
  const target = new RegistryStore(run.client, repository);
  const select = { all: true, carried: (d: string) => source.has(d), fallback: hostPlatform() };
  const plan = await planCopy(source, top, target, select, options.signal);
  const copied = await copyGraph(plan, source, target, {
    session: run.session,
    progress: run.progress,
    ...(tag !== undefined ? { tag } : {}),
    existingTag: options.onExistingTag ?? "overwrite",
    sparseIndex: options.sparseIndex ?? "filter",
    what: reference,
  });
  // However it ended (pushed, unchanged, skipped), everything the image reaches is there now.
  for (const d of [...plan.blobs, ...plan.manifests.map((m) => m.descriptor), top]) run.progress.present(d);
  // Signatures, attestations, SBOMs and referrers follow their image, cosign's tags under the same
  // policy (they name the image by digest, so they go even when its own tag was left alone).
  const existingTag = options.onExistingTag ?? "overwrite";
  const attached = await pushAttached({ ...run, target, existingTag, signal: options.signal }, reference);
  return {
    reference,
    repository,
    ...(tag !== undefined ? { tag } : {}),
    digest: copied.descriptor.digest,
    upstreamDigest: top.digest,
    status: pushStatus(copied.status),
    ...(copied.note !== undefined ? { note: copied.note } : {}),
    ...(attached.length > 0 ? { attached } : {}),
  };
}

function pushStatus(status: CopyGraphResult["status"]): ImageOutcome["status"] {
  if (status === "copied") return "pushed";
  if (status === "would-copy") return "would-push";
  return status;
}
