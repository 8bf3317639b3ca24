/**
 * push-bundle's second half of an image: what the bundle carries attached to it (cosign's tags,
 * OCI referrers), pushed into the image's own repository after the image, on the same session.
 */
import type { BundleSource } from "../store/bundle-store.js";
import { copyAttached, type AttachedOutcome } from "../store/copy-attached.js";
import type { ExistingTagPolicy } from "../store/copy-graph.js";
import type { BlobProgress, CopySession } from "../store/copy-session.js";
import type { ImageTarget } from "../store/image-store.js";

export type { AttachedOutcome } from "../store/copy-attached.js";

export interface PushAttachedRun {
  source: BundleSource;
  /** The repository the image went to. */
  target: ImageTarget;
  session: CopySession;
  progress: BlobProgress;
  existingTag: ExistingTagPolicy;
  signal?: AbortSignal | undefined;
}

/** Pushes what the bundle lists as attached to `reference` (none: nothing, no request). */
export async function pushAttached(run: PushAttachedRun, reference: string): Promise<AttachedOutcome[]> {
  const items = run.source.reader.attached().filter((a) => a.image === reference);
  if (items.length === 0) return [];
  return await copyAttached(items, run.source, run.target, {
    session: run.session,
    progress: run.progress,
    existingTag: run.existingTag,
    signal: run.signal,
    what: reference,
  });
}
