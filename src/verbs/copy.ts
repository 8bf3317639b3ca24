import { AirlockError } from "../errors.js";
import { parsePlatform } from "../oci/platform.js";
import type { RegistryOptions } from "../registry/connect.js";
import { copyGraph, type CopyEvent } from "../store/copy-graph.js";
import { planCopy, type CopyPlan } from "../store/copy-plan.js";
import type { AttachedOutcome } from "../store/copy-attached.js";
import type { AttachedPolicy } from "../imagelist/types.js";
import { checkReferrersEndpoints, copyReferrers } from "./copy-referrers.js";
import type { CopySession } from "../store/copy-session.js";
import type { ImageSource, ImageTarget } from "../store/image-store.js";
import type { ImageLocation } from "../store/location.js";
import { openSource, openTarget } from "../store/open.js";
import { reachedTotal, throttleEvents } from "../util/throttle.js";
import type { RemoteOptions } from "./options.js";
import { hostPlatform } from "./resolve.js";
import { withLinkedSignal } from "../util/linked-signal.js";

export type { CopyEvent } from "../store/copy-graph.js";

/** Where a copy reads or writes: a location string ("oci:DIR:REF"), a parsed one, or an open store. */
export type CopyEndpoint<T> = string | ImageLocation | T;

export interface CopyOptions extends RemoteOptions {
  /** Copy every image of a multi-platform source, the index byte for byte (skopeo --all). */
  all?: boolean;
  /** "os/arch[/variant]": one copies that image alone, several a new index of them. */
  platforms?: string[];
  /** Fail (ERR_UNSUPPORTED) rather than write manifests with new digests. */
  preserveDigests?: boolean;
  /** Blobs in flight at once; default 4 (ignored with `session`, which has its own). */
  concurrency?: number;
  /**
   * Share blob transfers with other copies of one run: a blob several
   * images need crosses the wire once per registry, the others mount it.
   */
  session?: CopySession;
  /** Registry options for the source side only (on top of the shared ones). */
  srcOptions?: RegistryOptions;
  /** Registry options for the destination side only. */
  destOptions?: RegistryOptions;
  /** What is copied as it goes; at most ten `bytes` counts a second, the other events at once. */
  onEvent?: (event: CopyEvent) => void;
  /**
   * Also copy what is attached to the copied manifests (cosign's .sig/.att/.sbom tags, OCI
   * referrers, to depth 3), after them; registry to registry only (ERR_USAGE otherwise).
   */
  referrers?: boolean;
  /** With `referrers`: which attached content (an image list entry's settings); default all. */
  attachedPolicy?: AttachedPolicy;
}

export interface CopyResult {
  /** Digest of the manifest written and tagged at the destination. */
  digest: string;
  mediaType: string;
  size: number;
  /** Digest of the manifest the source reference names. */
  sourceDigest: string;
  /** True when every manifest was written with the source's bytes. */
  digestsKept: boolean;
  /** Image manifests written (1 for a single image). */
  images: number;
  /** Blobs copied, and blobs the destination already had. */
  copied: number;
  existing: number;
  /** With `referrers`: what was copied attached to the image; omitted when nothing was. */
  attached?: AttachedOutcome[];
}

/**
 * Copies an image from any transport to any transport (skopeo copy): blobs
 * stream from source to destination, verified (registry to registry without
 * touching disk, mounted within one registry), manifests children first,
 * the destination committed last. A multi-platform source gives this
 * machine's image unless `all` or `platforms` say otherwise.
 * @throws AirlockError ERR_UNSUPPORTED for a conversion `preserveDigests` forbids
 *   (nothing is written), ERR_USAGE for `all` with `platforms`.
 */
export async function copyImage(
  src: CopyEndpoint<ImageSource>,
  dst: CopyEndpoint<ImageTarget>,
  options: CopyOptions = {},
): Promise<CopyResult> {
  return await withLinkedSignal(options, (linked) => runCopy(src, dst, linked));
}

async function runCopy(
  src: CopyEndpoint<ImageSource>,
  dst: CopyEndpoint<ImageTarget>,
  options: CopyOptions,
): Promise<CopyResult> {
  if (options.all === true && (options.platforms?.length ?? 0) > 0) {
    throw new AirlockError(
      "ERR_USAGE",
      "--all and --platform do not go together: --all copies every platform",
    );
  }
  const events = throttleEvents(options.onEvent, {
    frequent: (e) => e.type === "bytes",
    final: reachedTotal,
  });
  try {
    return await copyWith(src, dst, { ...options, onEvent: events.emit });
  } finally {
    events.flush();
  }
}

async function copyWith(
  src: CopyEndpoint<ImageSource>,
  dst: CopyEndpoint<ImageTarget>,
  options: CopyOptions,
): Promise<CopyResult> {
  const platforms = options.platforms?.map(parsePlatform);
  const { signal } = options;
  const source = isStore(src) ? src : await openSource(src, { ...options, ...options.srcOptions });
  try {
    const top = await source.resolve(undefined, { signal });
    const opened = isStore(dst)
      ? { target: dst, close: () => Promise.resolve() }
      : await openTarget(dst, { ...options, ...options.destOptions });
    try {
      const select = {
        all: options.all,
        platforms,
        fallback: hostPlatform(),
        preserveDigests: options.preserveDigests,
      };
      if (options.referrers === true) checkReferrersEndpoints(source, opened.target);
      const plan = await planCopy(source, top, opened.target, select, signal).catch(async (err: unknown) => {
        await opened.target.abort();
        throw err;
      });
      const applied = await copyGraph(plan, source, opened.target, options);
      const attached =
        options.referrers === true ? await referrersOf(plan, source, opened.target, options) : [];
      const { descriptor } = plan.top;
      return {
        digest: descriptor.digest,
        mediaType: descriptor.mediaType,
        size: descriptor.size,
        sourceDigest: top.digest,
        digestsKept: plan.digestsKept,
        images: plan.manifests.length - (plan.manifests.length > 1 ? 1 : 0),
        copied: applied.copied,
        existing: applied.existing,
        ...(attached.length > 0 ? { attached } : {}),
      };
    } finally {
      await opened.close();
    }
  } finally {
    if (!isStore(src)) await source.close();
  }
}

/** What the source has attached to the manifests copied with their digests (a rebuilt index has none). */
async function referrersOf(
  plan: CopyPlan,
  source: ImageSource,
  target: ImageTarget,
  options: CopyOptions,
): Promise<AttachedOutcome[]> {
  const kept = plan.manifests.filter((m) => m !== plan.top || plan.digestsKept);
  return await copyReferrers(
    source,
    target,
    kept.map((m) => m.descriptor.digest),
    {
      ...(options.attachedPolicy !== undefined ? { policy: options.attachedPolicy } : {}),
      ...(options.session !== undefined ? { session: options.session } : {}),
      signal: options.signal,
    },
  );
}

function isStore<T extends object>(value: string | ImageLocation | T): value is T {
  return typeof value === "object" && !("transport" in value);
}
