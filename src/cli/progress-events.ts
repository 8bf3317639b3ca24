/**
 * The verbs' progress events, as phases of the one progress display.
 * Only counts go to the display; the lines around them (what a bundle will
 * carry, each image pushed) go through its log, above the bars.
 */
import { formatBytes } from "../plan/diff-format.js";
import type { BundleEvent } from "../verbs/create-bundle.js";
import type { CopyEvent } from "../verbs/copy.js";
import type { VerifyEvent } from "../verbs/inspect-bundle.js";
import type { PushEvent } from "../verbs/push-bundle.js";
import type { SyncEvent } from "../verbs/sync.js";
import { describeContent } from "./counts.js";
import type { Progress } from "./progress.js";

/**
 * create-bundle: "fetching" while blobs arrive, then "writing" for what is
 * left of the tar. Writes overlap the downloads (each blob streams to its
 * place as it arrives), so a write count shows only once fetching is done.
 */
export function onBundleEvent(progress: Progress): (e: BundleEvent) => void {
  let fetched = false;
  return (e) => {
    if (e.type === "preflight") {
      progress.log(
        `carrying ${describeContent(e)}, ${formatBytes(e.bytes)} -> ${e.output} (${formatBytes(e.tarBytes)})`,
      );
    } else if (e.type === "fetch") {
      if (fetched) return;
      fetched = e.bytesDone >= e.bytesTotal && e.active === 0;
      const detail = [e.active > 0 ? `${e.active} active` : "", e.cached > 0 ? `${e.cached} cached` : ""];
      progress.update("fetching", e.bytesDone, e.bytesTotal, detail.filter((d) => d !== "").join(", "));
    } else if (fetched || e.bytesDone >= e.bytesTotal) {
      progress.update("writing", e.bytesDone, e.bytesTotal);
    }
  };
}

/** push-bundle: "pushing" (with --dry-run, "checking"), and a line per image. */
export function onPushEvent(progress: Progress, dryRun: boolean): (e: PushEvent) => void {
  const phase = dryRun ? "checking" : "pushing";
  return (e) => {
    if (e.type === "bytes") progress.update(phase, e.bytesDone, e.bytesTotal);
    if (e.type === "retry") progress.log(`retrying ${e.images} images that failed for a retryable cause`);
    if (e.type !== "image") return;
    const o = e.outcome;
    progress.log(
      `${o.status}: ${o.reference} -> ${o.repository}${o.tag !== undefined ? `:${o.tag}` : `@${o.digest}`}`,
    );
    if (o.note !== undefined) progress.log(`  note: ${o.note}`);
  };
}

export function onVerifyEvent(progress: Progress): (e: VerifyEvent) => void {
  return (e) => progress.update("verifying", e.bytesDone, e.bytesTotal);
}

/** copy, pull and push. */
export function onCopyEvent(progress: Progress): (e: CopyEvent) => void {
  return (e) => {
    if (e.type === "bytes") progress.update("copying", e.bytesDone, e.bytesTotal);
  };
}

export function onSyncEvent(progress: Progress): (e: SyncEvent) => void {
  return (e) =>
    progress.update("syncing", e.bytesDone, e.bytesTotal, `${e.imagesDone}/${e.imagesTotal} images`);
}
