/**
 * Carrying out a copy plan: blobs concurrently (each verified, skipped when
 * the target has it, mounted within one registry), then manifests children
 * first, the tag, and the commit. Any failure aborts the target, which
 * removes whatever has no final name yet.
 */
import { abortedError, isAirlockError, throwIfAborted } from "../errors.js";
import type { Descriptor } from "../oci/types.js";
import { countedStream } from "../stream/count-bytes.js";
import { BlobTally } from "../util/blob-tally.js";
import { mapSettled } from "../util/pool.js";
import type { CopyPlan } from "./copy-plan.js";
import type { ImageSource, ImageTarget, OpenBlob } from "./image-store.js";

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

export interface ApplyOptions {
  /** Blobs in flight at once; default 4. */
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?: (event: CopyEvent) => void;
  /** Name the top manifest with this instead of the target's own reference. */
  tag?: string;
  /** Leave the target uncommitted (several copies into one archive). */
  noCommit?: boolean;
}

export interface ApplyResult {
  copied: number;
  existing: number;
}

/** Writes the plan into the target; on failure the target is aborted and the first error thrown. */
export async function applyCopy(
  plan: CopyPlan,
  source: ImageSource,
  target: ImageTarget,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const { signal } = options;
  const tally = planTally(plan, options.onEvent);
  let failing = false;
  const copyOne = async (d: Descriptor): Promise<"copied" | "exists" | "skipped"> => {
    if (failing) return "skipped";
    try {
      throwIfAborted(signal);
      if (await target.blobHas(d, { signal })) {
        tally?.present(d.digest, d.size);
        options.onEvent?.({ type: "blob", descriptor: d, status: "exists" });
        return "exists";
      }
      await target.blobPut(d, opener(source, d, tally, signal), { signal, from: source });
      tally?.present(d.digest, d.size);
      options.onEvent?.({ type: "blob", descriptor: d, status: "copied" });
      return "copied";
    } catch (err) {
      failing = true;
      throw err;
    }
  };
  try {
    const results = await mapSettled(plan.blobs, options.concurrency ?? 4, copyOne);
    if (results.some((r) => r.status === "rejected")) throw firstReason(results);
    for (const m of plan.manifests) {
      throwIfAborted(signal);
      await target.manifestPut(m.descriptor, m.bytes, { signal });
      options.onEvent?.({ type: "manifest", descriptor: m.descriptor });
    }
    await target.tag(plan.top.descriptor, options.tag, { signal });
    if (options.noCommit !== true) await target.commit();
    const copied = results.filter((r) => r.status === "fulfilled" && r.value === "copied").length;
    return { copied, existing: results.length - copied };
  } catch (err) {
    await target.abort();
    // However the layer below noticed (a DOMException, a destroyed stream), an abort is ERR_ABORTED.
    if (signal?.aborted === true)
      throw isAirlockError(err) && err.code === "ERR_ABORTED" ? err : abortedError(err);
    throw err;
  }
}

/** With a listener: the plan told, and a tally of its blobs' bytes that tells each change. */
function planTally(plan: CopyPlan, onEvent: ApplyOptions["onEvent"]): BlobTally | undefined {
  if (onEvent === undefined) return undefined;
  const bytes = plan.blobs.reduce((n, b) => n + b.size, 0);
  onEvent({ type: "plan", blobs: plan.blobs.length, bytes });
  return new BlobTally(bytes, (bytesDone, bytesTotal) => onEvent({ type: "bytes", bytesDone, bytesTotal }));
}

/** Opens the source blob, its bytes counted as they go (afresh on each attempt) when there is a tally. */
function opener(
  source: ImageSource,
  d: Descriptor,
  tally: BlobTally | undefined,
  signal: AbortSignal | undefined,
): OpenBlob {
  if (tally === undefined) return () => source.blobGet(d, { signal });
  return async () => {
    tally.restart(d.digest);
    return countedStream(await source.blobGet(d, { signal }), (n) => tally.streamed(d.digest, n));
  };
}

/** The most telling failure: an airlock error over an abort caused by it. */
function firstReason(results: PromiseSettledResult<unknown>[]): unknown {
  const reasons = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  return reasons.find((r) => isAirlockError(r) && r.code !== "ERR_ABORTED") ?? reasons[0];
}
