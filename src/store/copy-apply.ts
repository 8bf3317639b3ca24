/**
 * Carrying out a copy plan: blobs concurrently (each verified, skipped when
 * the target has it, mounted within one registry), then manifests children
 * first, the tag, and the commit. Any failure aborts the target, which
 * removes whatever has no final name yet.
 */
import { abortedError, isAirlockError, throwIfAborted } from "../errors.js";
import type { Descriptor } from "../oci/types.js";
import { mapSettled } from "../util/pool.js";
import type { CopyPlan } from "./copy-plan.js";
import type { ImageSource, ImageTarget } from "./image-store.js";

/** Progress of a copy, one event per blob or manifest. */
export type CopyEvent =
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
  let failing = false;
  const copyOne = async (d: Descriptor): Promise<"copied" | "exists" | "skipped"> => {
    if (failing) return "skipped";
    try {
      throwIfAborted(signal);
      if (await target.blobHas(d, { signal })) {
        options.onEvent?.({ type: "blob", descriptor: d, status: "exists" });
        return "exists";
      }
      await target.blobPut(d, () => source.blobGet(d, { signal }), { signal, from: source });
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

/** The most telling failure: an airlock error over an abort caused by it. */
function firstReason(results: PromiseSettledResult<unknown>[]): unknown {
  const reasons = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  return reasons.find((r) => isAirlockError(r) && r.code !== "ERR_ABORTED") ?? reasons[0];
}
