import { AirlockError, isAirlockError, messageOf, type ErrorCode } from "../errors.js";
import { loadImageList } from "../imagelist/load.js";
import type { ImageEntry, ImageList } from "../imagelist/types.js";
import { expandTargets } from "../plan/select-tags.js";
import { parseRegistryTarget, syncRepository } from "../ref/target-name.js";
import type { RegistryOptions } from "../registry/connect.js";
import { CopySession } from "../store/copy-session.js";
import { RegistryStore } from "../store/registry-store.js";
import { BlobTally } from "../util/blob-tally.js";
import { mapSettled } from "../util/pool.js";
import { throttleEvents } from "../util/throttle.js";
import { ClientPool } from "./client-pool.js";
import { copyImage, type CopyOptions } from "./copy.js";
import type { RemoteOptions } from "./options.js";
import { RegistryResolver } from "./registry-resolver.js";
import { mapWithSecondPass } from "./second-pass.js";
import { withLinkedSignal } from "../util/linked-signal.js";

export interface SyncOptions extends RemoteOptions {
  /** Every platform of each image, indexes byte for byte (skopeo sync --all). */
  all?: boolean;
  /** Keep the source path under the destination ("host/a/b:tag" → DEST/host/a/b:tag) instead of its last part. */
  scoped?: boolean;
  /** Images copied at once; default 4. */
  concurrency?: number;
  /**
   * Registry options for the source registries only (on top of the shared
   * ones), e.g. `{ credential }` for skopeo's --src-creds; the list's own
   * per-registry settings still take precedence, as with skopeo.
   */
  srcOptions?: RegistryOptions;
  /** Registry options for the destination registry only, e.g. `{ credential }` (--dest-creds). */
  destOptions?: RegistryOptions;
  /**
   * Also copy what is attached to each image (cosign's tags, OCI referrers), as each list entry's
   * signatures/referrers/artifactTypes settings choose (default: whatever is attached).
   */
  referrers?: boolean;
  /** Told after each image. */
  onImage?: (done: SyncedImage) => void;
  /** The sync's progress, at most ten times a second. */
  onEvent?: (event: SyncEvent) => void;
}

/**
 * A running count of the sync: images finished (synced or failed) of all
 * it tries, and bytes of configs and layers now in the destination of those
 * its copies have planned so far (the total grows as each image starts).
 */
export interface SyncEvent {
  type: "bytes";
  bytesDone: number;
  bytesTotal: number;
  imagesDone: number;
  imagesTotal: number;
}

/** One image synced (or not). */
export interface SyncedImage {
  source: string;
  destination: string;
  digest?: string;
  /** With `referrers`: how many attached manifests were copied with it (omitted: none). */
  attached?: number;
  error?: { code: ErrorCode; message: string };
}

/** One sync job: an image of the list and where it goes. */
interface Job {
  entry: ImageEntry;
  /** The source's digest (when pinned) or tag. */
  target: string;
  /** The destination's tag (or the digest when there is none). */
  destRef: string;
  source: string;
  destRepo: string;
}

/**
 * Copies every image of a list (skopeo sync YAML, or any format airlock
 * reads) into `dest` = REGISTRY[/PREFIX], several images at once; regex and
 * semver selectors list the source's tags. Like skopeo, an image goes to
 * DEST/<last path part>:TAG (with `scoped`, DEST/<host>/<path>:TAG), and a
 * multi-platform image gives this machine's platform unless `all` (or the
 * entry asks for all platforms). Every image is attempted.
 * @throws AirlockError with one line per failed image, after trying them all.
 */
export async function syncImages(
  file: string,
  dest: string,
  options: SyncOptions = {},
): Promise<SyncedImage[]> {
  return await withLinkedSignal(options, (linked) => runSync(file, dest, linked));
}

async function runSync(file: string, dest: string, options: SyncOptions): Promise<SyncedImage[]> {
  const { registry: destRegistry, prefix } = parseRegistryTarget(dest, "--dest");
  const list = await loadImageList(file);
  const sources = new ClientPool({ ...options, ...options.srcOptions }, list.registries);
  const targets = new ClientPool({ ...options, ...options.destOptions });
  try {
    const jobs = await planJobs(list, new RegistryResolver(sources), prefix, options.scoped === true);
    const destClient = await targets.get(destRegistry);
    // One session for the run: images that share a blob upload it once and mount it elsewhere,
    // so no manifest is PUT while a blob under it is still arriving from another image's copy.
    const session = new CopySession({ concurrency: 2 * (options.concurrency ?? 4), signal: options.signal });
    const progress = syncProgress(options.onEvent, jobs.length);
    const syncOne = async (job: Job, i: number): Promise<SyncedImage> => {
      const source = new RegistryStore(await sources.get(job.entry.registry), job.entry.repository, {
        reference: job.target,
      });
      const target = new RegistryStore(destClient, job.destRepo, { reference: job.destRef });
      const all = options.all === true || job.entry.platforms === "all";
      const policy = job.entry.attached !== undefined ? { attachedPolicy: job.entry.attached } : {};
      const copyOptions = { ...options, ...policy, all, session, onEvent: progress.copy(i) };
      const result = await copyImage(source, target, copyOptions);
      progress.imageDone();
      return {
        source: job.source,
        destination: `${destRegistry}/${job.destRepo}${sep(job.destRef)}${job.destRef}`,
        digest: result.digest,
        ...(result.attached !== undefined ? { attached: result.attached.length } : {}),
      };
    };
    // Images that failed for a retryable cause get a second pass before the run reports failure.
    const { results } = await mapWithSecondPass(jobs, options.concurrency ?? 4, syncOne, {
      signal: options.signal,
    });
    // The images that failed for good are done too.
    for (const r of results) if (r.status === "rejected") progress.imageDone();
    progress.flush();
    const synced = results.map((r, i) => outcome(r, jobs[i] as Job, destRegistry));
    for (const s of synced) options.onImage?.(s);
    const failed = synced.filter((s) => s.error !== undefined);
    if (failed.length > 0) {
      const lines = failed.map((f) => `${f.source}: ${f.error?.message ?? ""}`);
      throw new AirlockError(
        failed[0]?.error?.code ?? "ERR_REGISTRY",
        `${failed.length} of ${synced.length} images failed:\n${lines.join("\n")}`,
      );
    }
    return synced;
  } finally {
    await Promise.all([sources.close(), targets.close()]);
  }
}

/** The sync's running count, fed by each image's copy events. */
function syncProgress(
  onEvent: SyncOptions["onEvent"],
  imagesTotal: number,
): { copy: (job: number) => CopyOptions["onEvent"]; imageDone: () => void; flush: () => void } {
  if (onEvent === undefined)
    return { copy: () => undefined, imageDone: () => undefined, flush: () => undefined };
  const events = throttleEvents(onEvent, {
    frequent: () => true,
    final: (e) => e.imagesDone === imagesTotal,
  });
  let imagesDone = 0;
  const tell = (): void =>
    events.emit({ type: "bytes", bytesDone: tally.done, bytesTotal: tally.total, imagesDone, imagesTotal });
  const tally = new BlobTally(0, tell);
  return {
    copy: (job) => {
      let done = 0;
      return (e) => {
        if (e.type === "plan") tally.grow(e.bytes);
        if (e.type !== "bytes") return;
        tally.streamed(String(job), e.bytesDone - done);
        done = e.bytesDone;
      };
    },
    imageDone: () => {
      imagesDone++;
      tell();
    },
    flush: events.flush,
  };
}

async function planJobs(
  list: ImageList,
  resolver: RegistryResolver,
  prefix: string,
  scoped: boolean,
): Promise<Job[]> {
  const expanded = await mapSettled(list.images, 4, (entry) => expandTargets(entry, resolver));
  const failed = expanded.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed !== undefined) throw failed.reason;
  return list.images.flatMap((entry, i) => {
    const r = expanded[i];
    const targets = r?.status === "fulfilled" ? r.value : [];
    const destRepo = syncRepository({ ...entry, where: entry.source }, { prefix, scoped });
    return targets.map((t) => {
      const target = t.digest ?? t.tag ?? "latest";
      return {
        entry,
        target,
        destRef: t.tag ?? target,
        destRepo,
        source: `${entry.registry}/${entry.repository}${sep(target)}${target}`,
      };
    });
  });
}

function sep(target: string): string {
  return target.includes(":") ? "@" : ":";
}

function outcome(r: PromiseSettledResult<SyncedImage>, job: Job, destRegistry: string): SyncedImage {
  if (r.status === "fulfilled") return r.value;
  const destination = `${destRegistry}/${job.destRepo}${sep(job.destRef)}${job.destRef}`;
  const reason: unknown = r.reason;
  const code: ErrorCode = isAirlockError(reason) ? reason.code : "ERR_REGISTRY";
  return { source: job.source, destination, error: { code, message: messageOf(reason) } };
}
