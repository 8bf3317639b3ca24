/**
 * The one graph copy: carries out a copy plan from any source into any
 * target, children before parents — blobs (through a CopySession, so a run
 * moves each blob once), then image manifests, then the top manifest, then
 * the tag, then the commit. Nothing is named before everything under it is
 * present; any failure aborts the target, which drops what has no final
 * name yet.
 */
import { AirlockError, RegistryError, abortedError, isAirlockError, throwIfAborted } from "../errors.js";
import type { Descriptor } from "../oci/types.js";
import type { CopyPlan, PlannedManifest } from "./copy-plan.js";
import { BlobTally } from "../util/blob-tally.js";
import { CopySession, type BlobProgress } from "./copy-session.js";
import type { ImageSource, ImageTarget } from "./image-store.js";

/** When the tag already names another manifest: replace it, leave it, or fail. */
export type ExistingTagPolicy = "overwrite" | "skip" | "error";
/** When the target refuses a sparse index: write an index of the carried children (new digest), or fail. */
export type SparseIndexPolicy = "filter" | "upstream";

/**
 * Progress of a copy: what it will move (`plan`: configs and layers), a
 * running byte count of them (streamed bytes, and a blob's whole size once
 * it is there, copied, mounted or already present), and one event per blob
 * and per manifest done.
 */
export type CopyEvent =
  | { type: "plan"; blobs: number; bytes: number }
  | { type: "bytes"; bytesDone: number; bytesTotal: number }
  | { type: "blob"; descriptor: Descriptor; status: "copied" | "exists" }
  | { type: "manifest"; descriptor: Descriptor };

export interface CopyGraphOptions {
  /** Shared by the copies of one run; default: a session of this copy's own. */
  session?: CopySession;
  /** Blobs in flight for the session this copy makes; default 4. */
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?: (event: CopyEvent) => void;
  /** Told of blob bytes as they go; default: `plan` and `bytes` events through onEvent. */
  progress?: BlobProgress;
  /** Name the top manifest with this instead of the target's own reference. */
  tag?: string;
  /** Leave the target uncommitted (several copies into one archive). */
  noCommit?: boolean;
  /**
   * Ask the target (where it can say) what the tag names first: the same
   * image is left alone ("unchanged"); another one is handled by the policy.
   */
  existingTag?: ExistingTagPolicy;
  /** Default "filter". */
  sparseIndex?: SparseIndexPolicy;
  /** Names the image in messages; default the source's name. */
  what?: string;
}

export interface CopyGraphResult {
  status: "copied" | "unchanged" | "skipped" | "filtered" | "would-copy";
  /** The manifest the target has (or, in a dry run, would have) under the tag. */
  descriptor: Descriptor;
  /** Blobs copied (uploaded or mounted), and blobs the target already had. */
  copied: number;
  existing: number;
  /** Set when a sparse index was replaced by one of the carried children. */
  note?: string;
}

/** Writes the plan into the target; on failure the target is aborted and the telling error thrown. */
export async function copyGraph(
  plan: CopyPlan,
  source: ImageSource,
  target: ImageTarget,
  options: CopyGraphOptions = {},
): Promise<CopyGraphResult> {
  const session =
    options.session ?? new CopySession({ concurrency: options.concurrency ?? 4, signal: options.signal });
  const signal = options.signal ?? session.signal;
  try {
    const present = await checkExisting(plan, target, options, signal);
    if (present !== undefined) return present;
    const counts = await copyBlobs(plan, source, target, session, options);
    for (const m of plan.manifests.slice(0, -1)) await putManifest(m, target, session, options, signal);
    if (session.dryRun) return { status: "would-copy", descriptor: plan.top.descriptor, ...counts };
    const top = await putTop(plan, source, target, session, options, signal);
    await target.tag(top.manifest.descriptor, options.tag, { signal });
    if (options.tag !== undefined) session.stats.tags++;
    if (options.noCommit !== true) await target.commit();
    const status = top.note === undefined ? "copied" : "filtered";
    const note = top.note === undefined ? {} : { note: top.note };
    return { status, descriptor: top.manifest.descriptor, ...counts, ...note };
  } catch (err) {
    await target.abort();
    // However the layer below noticed (a DOMException, a destroyed stream), an abort is ERR_ABORTED.
    if (signal?.aborted === true)
      throw isAirlockError(err) && err.code === "ERR_ABORTED" ? err : abortedError(err);
    throw err;
  }
}

/** With a policy, what the target holds under the tag decides whether anything is written. */
async function checkExisting(
  plan: CopyPlan,
  target: ImageTarget,
  options: CopyGraphOptions,
  signal: AbortSignal | undefined,
): Promise<CopyGraphResult | undefined> {
  if (options.existingTag === undefined || target.manifestHead === undefined) return undefined;
  const ref = options.tag ?? plan.top.descriptor.digest;
  const existing = await target.manifestHead(ref, { signal });
  if (existing === undefined) return undefined;
  const none = { copied: 0, existing: 0 };
  const filtered = (options.sparseIndex ?? "filter") === "filter" ? plan.carriedIndex : undefined;
  if (existing.digest === plan.top.descriptor.digest || existing.digest === filtered?.descriptor.digest) {
    return { status: "unchanged", descriptor: existing, ...none };
  }
  if (options.existingTag === "skip") return { status: "skipped", descriptor: existing, ...none };
  if (options.existingTag === "error") {
    throw new AirlockError(
      "ERR_USAGE",
      `${target.name}:${ref} already points at ${existing.digest}, not ${plan.top.descriptor.digest} (--on-existing-tag error)`,
    );
  }
  return undefined;
}

/** Every config and layer through the session; waits for all, then throws the telling failure. */
async function copyBlobs(
  plan: CopyPlan,
  source: ImageSource,
  target: ImageTarget,
  session: CopySession,
  options: CopyGraphOptions,
): Promise<{ copied: number; existing: number }> {
  throwIfAborted(options.signal);
  const progress = options.progress ?? planProgress(plan, options.onEvent);
  const results = await Promise.allSettled(
    plan.blobs.map(async (d) => {
      const outcome = await session.ensureBlob(source, target, d, progress);
      progress?.present(d);
      const status = outcome === "exists" ? "exists" : "copied";
      options.onEvent?.({ type: "blob", descriptor: d, status });
      return status;
    }),
  );
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed.length > 0) throw tellingReason(failed.map((r) => r.reason as unknown));
  const copied = results.filter((r) => r.status === "fulfilled" && r.value === "copied").length;
  return { copied, existing: results.length - copied };
}

async function putManifest(
  m: PlannedManifest,
  target: ImageTarget,
  session: CopySession,
  options: CopyGraphOptions,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (session.dryRun) return;
  throwIfAborted(signal);
  await target.manifestPut(m.descriptor, m.bytes, { signal });
  session.stats.manifests++;
  options.onEvent?.({ type: "manifest", descriptor: m.descriptor });
}

/** The top manifest by digest; a refused sparse index becomes one of the carried children if the policy allows. */
async function putTop(
  plan: CopyPlan,
  source: ImageSource,
  target: ImageTarget,
  session: CopySession,
  options: CopyGraphOptions,
  signal: AbortSignal | undefined,
): Promise<{ manifest: PlannedManifest; note?: string }> {
  try {
    await putManifest(plan.top, target, session, options, signal);
    return { manifest: plan.top };
  } catch (err) {
    const carried = plan.carriedIndex;
    if (carried === undefined || !refusesSparse(err)) throw err;
    const { digest } = plan.top.descriptor;
    if (options.sparseIndex === "upstream") {
      const lacking = countChildren(plan.top.bytes) - (plan.manifests.length - 1);
      throw new AirlockError(
        "ERR_REGISTRY",
        `${options.what ?? source.name}: the registry refuses the sparse index ${digest} (it lacks ${lacking} platform manifests the bundle does not carry); push with --sparse-index filter, or bundle every platform`,
        { cause: err },
      );
    }
    await putManifest(carried, target, session, options, signal);
    const note = `the registry refused the sparse upstream index ${digest}; pushed an index of the carried platforms, ${carried.descriptor.digest}`;
    return { manifest: carried, note };
  }
}

/** With a listener: the plan told, and a tally of its blobs' bytes that tells each change. */
function planProgress(plan: CopyPlan, onEvent: CopyGraphOptions["onEvent"]): BlobProgress | undefined {
  if (onEvent === undefined) return undefined;
  const bytes = plan.blobs.reduce((n, b) => n + b.size, 0);
  onEvent({ type: "plan", blobs: plan.blobs.length, bytes });
  const tally = new BlobTally(bytes, (bytesDone, bytesTotal) =>
    onEvent({ type: "bytes", bytesDone, bytesTotal }),
  );
  return tallyProgress(tally);
}

/** A BlobProgress over a tally, blobs keyed by `key` (default their digest). */
export function tallyProgress(
  tally: BlobTally,
  key: (digest: string) => string = (digest) => digest,
): BlobProgress {
  return {
    sent: (blob, n) => tally.streamed(key(blob.digest), n),
    restart: (blob) => tally.restart(key(blob.digest)),
    present: (blob) => tally.present(key(blob.digest), blob.size),
  };
}

/** Distribution answers a manifest naming children it lacks with MANIFEST_BLOB_UNKNOWN. */
function refusesSparse(err: unknown): boolean {
  return err instanceof RegistryError && err.details.some((d) => d.code === "MANIFEST_BLOB_UNKNOWN");
}

function countChildren(indexBytes: Buffer): number {
  return (JSON.parse(indexBytes.toString("utf8")) as { manifests: unknown[] }).manifests.length;
}

/** The most telling failure: an airlock error over an abort caused by it. */
function tellingReason(reasons: unknown[]): unknown {
  return reasons.find((r) => isAirlockError(r) && r.code !== "ERR_ABORTED") ?? reasons[0];
}
